import { type AbortWatch, LlmgwError, type UpstreamRequest } from '@llmgw/core';
import type { Dispatcher } from 'undici';
import { createRouteDispatcher, type HttpSettings, type RouteDispatcher } from './dispatcher.js';
import { createUpstreamCall, type UpstreamResponse } from './response.js';
import { describeRoute, type Route, routeKey } from './route.js';
import { toHttpError } from './transport-error.js';

export interface SendOptions {
  route: Route;
  /** The caller's signal (client disconnect): aborts the call end to end and rejects with `ClientAbortError`. */
  signal?: AbortWatch;
  /** Extra CA for this provider (e.g. GigaChat's); trusted in addition to the system roots. */
  caFile?: string;
  /** Per-call overrides; connect timeout belongs to the dispatcher and cannot vary per call. */
  timeouts?: Partial<Pick<HttpSettings, 'firstByteTimeoutMs' | 'idleTimeoutMs'>>;
}

/** Gauges for `/metrics`: sockets and calls summed over every route and origin. */
export interface HttpStats {
  dispatchers: number;
  /** Open sockets. */
  connected: number;
  /** Calls on a socket right now. */
  running: number;
  /** Calls waiting for a socket (an origin at its `connectionsPerOrigin` bound). */
  pending: number;
}

export interface HttpClients {
  /**
   * Sends one call. Any HTTP status resolves (classifying it is the adapter's job); a transport failure
   * rejects with `HttpTransportError`, the caller's abort with `ClientAbortError`.
   */
  send(request: UpstreamRequest, options: SendOptions): Promise<UpstreamResponse>;
  /** The cached dispatcher of a route, created on first use. */
  dispatcherFor(route: Route, caFile?: string): Dispatcher;
  stats(): HttpStats;
  /** Lets in-flight calls finish, then closes every dispatcher. Idempotent. */
  close(): Promise<void>;
}

/** One undici dispatcher per distinct route (direct, or each proxy URL) and CA file, kept for the process. */
export function createHttpClients(settings: HttpSettings): HttpClients {
  const dispatchers = new Map<string, RouteDispatcher>();
  let closing: Promise<void> | undefined;

  function entryFor(route: Route, caFile: string | undefined): RouteDispatcher {
    if (closing) throw new LlmgwError('HTTP clients are closed');
    const key = routeKey(route, caFile);
    let entry = dispatchers.get(key);
    if (entry === undefined) {
      entry = createRouteDispatcher(route, caFile, settings);
      dispatchers.set(key, entry);
    }
    return entry;
  }

  async function send(call: UpstreamRequest, options: SendOptions): Promise<UpstreamResponse> {
    const { route, signal, timeouts } = options;
    const dispatcher = entryFor(route, options.caFile).dispatcher;
    // Built only when something failed: the hot path never formats a message.
    const fail = (error: unknown): LlmgwError => toHttpError(error, describeCall(call, route), signal);
    // undici would still open (and waste) a connection for a call that is already cancelled.
    if (signal?.aborted) throw fail(signal.reason);
    const upstream = createUpstreamCall(signal, fail);
    try {
      const { origin, path } = target(call.url);
      dispatcher.dispatch(
        {
          origin,
          path,
          method: call.method,
          headers: call.headers,
          body: call.body ?? null,
          headersTimeout: timeouts?.firstByteTimeoutMs,
          bodyTimeout: timeouts?.idleTimeoutMs,
        },
        upstream.handler,
      );
    } catch (error) {
      upstream.abandon(error);
    }
    return upstream.response;
  }

  async function closeAll(): Promise<void> {
    const entries = [...dispatchers.values()];
    dispatchers.clear();
    await Promise.all(entries.map((entry) => entry.close()));
  }

  return {
    send,
    dispatcherFor: (route, caFile) => entryFor(route, caFile).dispatcher,
    stats: () => sumStats(dispatchers.values()),
    close: () => {
      closing ??= closeAll();
      return closing;
    },
  };
}

/** Parsed call URLs: an adapter sends the same few URLs over and over. Bounded, since Gemini's carry a key. */
const targets = new Map<string, { origin: string; path: string }>();
const MAX_TARGETS = 1024;

/** The origin and path of a call URL, as undici's dispatch takes them. Throws `ERR_INVALID_URL`. */
function target(url: string): { origin: string; path: string } {
  let known = targets.get(url);
  if (known === undefined) {
    const parsed = new URL(url);
    known = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, known);
  }
  return known;
}

/** `POST api.openai.com via http://***@proxy:8080`: the origin only, since a query may hold a key (Gemini). */
function describeCall(call: UpstreamRequest, route: Route): string {
  let host: string;
  try {
    host = new URL(call.url).host;
  } catch {
    host = '(invalid URL)';
  }
  return `${call.method} ${host} via ${describeRoute(route)}`;
}

// Walks every origin of every dispatcher: meant for a metrics scrape, not for each call.
function sumStats(entries: Iterable<RouteDispatcher>): HttpStats {
  const totals: HttpStats = { dispatchers: 0, connected: 0, running: 0, pending: 0 };
  for (const entry of entries) {
    totals.dispatchers++;
    for (const origin of Object.values(entry.dispatcher.stats)) {
      // A single-connection origin is a Client, whose `connected` is a boolean.
      totals.connected += Number(origin.connected);
      totals.running += origin.running;
      totals.pending += origin.pending;
    }
  }
  return totals;
}

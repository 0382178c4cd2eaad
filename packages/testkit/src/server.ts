import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Behavior, type BehaviorState, createBehaviorState, resolveBehavior } from './behaviors.js';
import { type CallLog, type CallRecord, createCallLog } from './call-log.js';
import { isFromForwardProxy } from './forward-proxy.js';
import {
  checkOAuthRequest,
  createTokenStore,
  oauthAnswer,
  type TokenStore,
  tokenRefused,
} from './gigachat.js';
import { behaviorFromKeyPrefix } from './key-prefixes.js';
import { listen } from './listen.js';
import { createPacer } from './pacer.js';
import { parseRequest } from './parse-request.js';
import { type Exchange, perform, reply, send } from './respond.js';
import { matchRoute } from './route.js';
import { json, type Provider } from './wire.js';

export interface TestUpstreamOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Behaviour of keys with no behaviour set and no `test-…-` prefix; default ok. */
  defaultBehavior?: Behavior;
  /** GigaChat access token lifetime; default 30 minutes, as Sber issues them. */
  tokenTtlMs?: number;
  /** Models listed per provider by the models endpoints (chat accepts any model). */
  models?: Partial<Record<Provider, string[]>>;
  /** Honour the `test-401-…` key-prefix convention; default true. */
  keyPrefixes?: boolean;
  /** Injectable clock for token expiry and rpm windows. */
  now?: () => number;
  /** Call records kept before the oldest are dropped; default 200 000. */
  callLogLimit?: number;
}

export interface TestUpstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Behaviour for one credential as the client sends it (GigaChat: the authorization key). */
  setBehavior(key: string, behavior: Behavior): void;
  /** Forget a key's behaviour, so its prefix or the default applies again. */
  clearBehavior(key: string): void;
  setDefaultBehavior(behavior: Behavior): void;
  setModels(provider: Provider, models: string[]): void;
  calls(): readonly CallRecord[];
  callsFor(key: string): readonly CallRecord[];
  /** RPM violations counted (requests beyond an `rpm` behaviour's limit), for one key or all. */
  violations(key?: string): number;
  /** GigaChat OAuth requests received (including refused ones). */
  oauthCalls(): number;
  /** Requests currently being answered (including hanging ones). */
  inFlight(): number;
  /** Open client connections; lets tests prove an aborted client's socket was really closed. */
  connections(): number;
  /** Clears the call log and every counter (rpm windows, flaky counts, violations); keeps behaviours. */
  reset(): void;
  /** Closes the listener and destroys every socket, hanging ones included. */
  close(): Promise<void>;
}

export const DEFAULT_MODELS: Record<Provider, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
  gemini: ['gemini-2.0-flash', 'gemini-2.5-flash', 'text-embedding-004'],
  gigachat: ['GigaChat', 'GigaChat-2-Max', 'Embeddings'],
  anthropic: ['claude-sonnet-4-5-20250929', 'claude-3-5-haiku-20241022'],
};

const OK: Behavior = { kind: 'ok' };
const MISSING_KEY: Behavior = { kind: 'status', status: 401 };

/** Starts the fake upstream that speaks the OpenAI, Gemini, GigaChat and Anthropic wire formats. */
export async function createTestUpstream(options: TestUpstreamOptions = {}): Promise<TestUpstream> {
  const now = options.now ?? Date.now;
  const usePrefixes = options.keyPrefixes ?? true;
  const models: Record<Provider, string[]> = { ...DEFAULT_MODELS, ...options.models };
  const behaviors = new Map<string, Behavior>();
  const tokens: TokenStore = createTokenStore(options.tokenTtlMs ?? 30 * 60_000, now);
  const log: CallLog = createCallLog(options.callLogLimit);
  const sockets = new Set<Socket>();
  let defaultBehavior = options.defaultBehavior ?? OK;
  let state: BehaviorState = createBehaviorState();
  let oauthCount = 0;
  let inFlight = 0;

  function behaviorFor(key: string): Behavior {
    const explicit = behaviors.get(key);
    if (explicit !== undefined) return explicit;
    if (key === '') return MISSING_KEY;
    return (usePrefixes ? behaviorFromKeyPrefix(key) : undefined) ?? defaultBehavior;
  }

  function track(response: ServerResponse, record: CallRecord, onClose: () => void): void {
    inFlight++;
    log.add(record);
    response.once('close', () => {
      inFlight--;
      record.durationMs = Date.now() - record.at;
      onClose();
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = Date.now();
    const rawUrl = request.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? undefined : new URLSearchParams(rawUrl.slice(queryAt + 1));
    const method = request.method ?? 'GET';
    const route = matchRoute(method, path, query, request.headers, tokens, now());
    const body = method === 'GET' ? '' : await readBody(request);
    const viaProxy = isFromForwardProxy(request.socket.remotePort);

    if (route.kind === 'none') {
      send(
        response,
        json(404, { error: { message: `testkit: no route for ${method} ${path}`, type: 'not_found' } }),
      );
      return;
    }
    if (route.kind === 'oauth') {
      handleOAuth(request, response, body, { at, path, method, viaProxy });
      return;
    }

    const parsed = parseRequest(route, body);
    const call = parsed.call;
    const record: CallRecord = {
      at,
      path,
      method,
      provider: route.dialect.provider,
      operation: call.operation,
      key: route.key,
      model: call.model,
      stream: call.stream,
      status: 0,
      aborted: false,
      durationMs: 0,
      viaProxy,
      behavior: 'ok',
    };
    const pacer = createPacer();
    const exchange: Exchange = {
      response,
      record,
      pacer,
      dialect: route.dialect,
      call,
      models: models[route.dialect.provider],
      now,
      cutByServer: false,
    };
    track(response, record, () => {
      pacer.stop();
      record.aborted = !response.writableFinished && !exchange.cutByServer;
    });

    if (route.tokenRejected !== undefined) {
      record.behavior = 'token_rejected';
      reply(exchange, tokenRefused(route.tokenRejected));
      return;
    }
    if (!parsed.valid) {
      record.behavior = 'bad_request';
      reply(
        exchange,
        route.dialect.failure({ kind: 'status', status: 400 }, { call, key: route.key, now: now() }),
      );
      return;
    }
    const resolution = resolveBehavior(behaviorFor(route.key), route.key, call.model, now(), state);
    record.behavior = resolution.leaf.kind;
    await perform(exchange, resolution.leaf, resolution.rateLimit);
  }

  function handleOAuth(
    request: IncomingMessage,
    response: ServerResponse,
    form: string,
    base: Pick<CallRecord, 'at' | 'path' | 'method' | 'viaProxy'>,
  ): void {
    oauthCount++;
    const authorization = firstHeader(request.headers.authorization);
    const key = authorization?.startsWith('Basic ') ? authorization.slice(6).trim() : '';
    const record: CallRecord = {
      ...base,
      provider: 'gigachat',
      operation: 'oauth',
      key,
      model: '',
      stream: false,
      status: 0,
      aborted: false,
      durationMs: 0,
      behavior: 'ok',
    };
    track(response, record, () => {
      record.aborted = !response.writableFinished;
    });
    const refused = checkOAuthRequest(authorization, firstHeader(request.headers.rquid), form);
    if (refused !== undefined) {
      record.behavior = 'bad_request';
      record.status = refused.status;
      send(response, refused);
      return;
    }
    const behavior = behaviorFor(key);
    const answer = oauthAnswer(behavior, () => tokens.issue(key));
    record.behavior = behavior.kind;
    if (answer === 'hang') return;
    record.status = answer.status;
    send(response, answer);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else
        send(
          response,
          json(500, { error: { message: `testkit crashed: ${String(error)}`, type: 'testkit_error' } }),
        );
    });
  });
  // Longer than undici's default keep-alive so the benchmark's pooled sockets are not reset under it.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: `http://${address}`,
    setBehavior: (key, behavior) => {
      behaviors.set(key, behavior);
    },
    clearBehavior: (key) => {
      behaviors.delete(key);
    },
    setDefaultBehavior: (behavior) => {
      defaultBehavior = behavior;
    },
    setModels: (provider, list) => {
      models[provider] = [...list];
    },
    calls: () => log.all(),
    callsFor: (key) => log.forKey(key),
    violations: (key) => {
      if (key !== undefined) return state.violations.get(key) ?? 0;
      let total = 0;
      for (const count of state.violations.values()) total += count;
      return total;
    },
    oauthCalls: () => oauthCount,
    inFlight: () => inFlight,
    connections: () => sockets.size,
    reset: () => {
      log.clear();
      state = createBehaviorState();
      oauthCount = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

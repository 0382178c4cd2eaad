import type { Context } from 'hono';
import type { ClientError, NativeRequest, RelayResult } from '../../contracts.js';
import type { AppDeps } from '../../http/app-deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { readBody } from '../../http/body-limit.js';
import { relayParsedRequest } from '../../http/openai-routes.js';
import type { ParsedRequest } from '../../http/parse-request.js';
import { type Fields, isRequestError, parseJsonObject, toClientError } from './fields.js';

/** How one client surface speaks: its request translation and its error shape. */
export interface Surface<Plan> {
  /** Throws a request error (see fields.ts) for what cannot be translated. */
  translate(body: Fields, c: Context<AppEnv>): Plan;
  chatOf(plan: Plan): ParsedRequest;
  /** The client's body for providers that serve this API natively (absent: always translated). */
  nativeOf?(body: Fields): NativeRequest;
  errorResponse(error: ClientError, headers: Record<string, string>): Response;
}

export type SurfaceOutcome<Plan> =
  | { kind: 'relayed'; plan: Plan; result: RelayResult }
  | { kind: 'refused'; response: Response };

/**
 * Body → translated chat request → the one relay path chat completions use (model resolution,
 * lease, failover, limits, attempt records). The surface only translates on the way in and out.
 */
export async function relayThroughSurface<Plan>(
  c: Context<AppEnv>,
  deps: AppDeps,
  surface: Surface<Plan>,
): Promise<SurfaceOutcome<Plan>> {
  const read = await readBody(c, deps.config.gateway.body_limit);
  if (!read.ok) return { kind: 'refused', response: surface.errorResponse(read.error, {}) };
  let plan: Plan;
  let body: Fields;
  try {
    body = parseJsonObject(read.text);
    plan = surface.translate(body, c);
  } catch (error) {
    if (!isRequestError(error)) throw error;
    return { kind: 'refused', response: surface.errorResponse(toClientError(error), {}) };
  }
  // Still translated first: any attempt may land on a provider that only speaks chat.
  const native = surface.nativeOf?.(body);
  const result = await relayParsedRequest(c, deps, 'chat', surface.chatOf(plan), native);
  return { kind: 'relayed', plan, result };
}

/** Headers of a translated JSON answer: the relay's (`x-llm-*`, `x-request-id`) kept. */
export function jsonResponse(body: unknown, status: number, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
  });
}

export function sseResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string>): Response {
  return new Response(body, {
    status: 200,
    headers: {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    },
  });
}

import { hash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';
import { clientErrorResponse } from './client-error.js';
import { requestHeader } from './request-header.js';

export interface BearerAuthOptions {
  tokens: readonly string[];
  /** Also take the token from `x-api-key` (where Anthropic clients send it) when no bearer is sent. */
  acceptApiKeyHeader?: boolean;
  /** How a refusal is answered (a surface's own error shape); default OpenAI's, with WWW-Authenticate. */
  refuse?: (message: string) => Response;
}

/**
 * `Authorization: Bearer <token>` against the configured tokens. With none configured every request
 * passes: the listener then binds loopback only (see startConductor), so only this machine can call.
 */
export function bearerAuth({
  tokens,
  acceptApiKeyHeader = false,
  refuse = unauthorized,
}: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  const digests = tokens.map(digest);
  const how = acceptApiKeyHeader
    ? '"x-api-key: <token>" or "Authorization: Bearer <token>"'
    : '"Authorization: Bearer <token>"';
  const what = acceptApiKeyHeader ? 'token' : 'bearer token';
  return async function bearerAuthMiddleware(c, next) {
    if (digests.length === 0) return next();
    let presented = bearerToken(requestHeader(c, 'authorization'));
    if (presented === undefined && acceptApiKeyHeader) presented = apiKeyToken(requestHeader(c, 'x-api-key'));
    if (presented === undefined) {
      return refuse(`Missing API key: send ${how} with one of the gateway's auth tokens.`);
    }
    if (!matchesAny(digest(presented), digests)) {
      // Never echo the presented token: it may be a real key sent to the wrong place.
      return refuse(`Invalid API key: the ${what} is not one of the gateway's auth tokens.`);
    }
    return next();
  };
}

function apiKeyToken(header: string | undefined): string | undefined {
  const token = header?.trim();
  return token === undefined || token === '' ? undefined : token;
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Digests first, so both sides have equal length (timingSafeEqual demands it) and the comparison leaks
 * neither a token's content nor its length. Every token is checked, whatever matched earlier.
 */
export function matchesAny(presented: Buffer, digests: readonly Buffer[]): boolean {
  let matched = false;
  for (const expected of digests) matched = timingSafeEqual(presented, expected) || matched;
  return matched;
}

export function digest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** 401 in OpenAI's shape, with `WWW-Authenticate: Bearer`: the refusal of a missing or unknown token. */
export function unauthorized(message: string): Response {
  const response = clientErrorResponse({
    status: 401,
    message,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  });
  response.headers.set('www-authenticate', 'Bearer');
  return response;
}

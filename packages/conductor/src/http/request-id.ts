import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';
import { requestHeader } from './request-header.js';

export interface RequestIdOptions {
  headerName?: string;
  generate?: () => string;
}

// A caller's id ends up in logs, headers and the attempts table: short and plain, or we make our own.
const SANE_ID = /^[A-Za-z0-9._:=-]{1,128}$/;

/**
 * `x-request-id`: a load balancer's or client's id is kept so one id follows the request through every
 * hop; otherwise a fresh one. Echoed on every response, errors included.
 */
export function requestId({
  headerName = 'x-request-id',
  generate = randomUUID,
}: RequestIdOptions = {}): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = requestHeader(c, headerName);
    const id = incoming !== undefined && SANE_ID.test(incoming) ? incoming : generate();
    c.set('requestId', id);
    await next();
    // Touching c.res.headers materialises a full Response under @hono/node-server; the relay's
    // responses carry the id already, so only the others (errors, health, models) are rewritten.
    if (c.get('responseTagged') !== true) c.res.headers.set(headerName, id);
  };
}

import type { Context } from 'hono';
import type { AppEnv } from './app-env.js';

/**
 * One request header, case-insensitive. Under Node it is read from the socket's own parsed headers:
 * `c.req.header()` makes @hono/node-server build a WHATWG `Headers` from every raw header first, a
 * cost paid on each call of the hot path for the four headers the gateway reads. A repeated header
 * reads as Node joins it (`, `), as `Headers.get` would.
 */
export function requestHeader(c: Context<AppEnv>, name: string): string | undefined {
  const incoming = c.env?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

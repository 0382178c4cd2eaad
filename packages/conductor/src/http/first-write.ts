import type { Context } from 'hono';
import type { AppEnv } from './app-env.js';

/**
 * Sends a stream's headers and its first chunk in one write. @hono/node-server flushes a streamed
 * response's headers on their own and writes the first chunk (which the relay already holds: failover
 * ends at the first byte) a few microtasks later: two syscalls, and the client woken twice before it
 * sees a byte of the body. Corking the socket until the end of this turn of the event loop lets both
 * leave together. Nothing waits for I/O meanwhile; if the chunk is not ready by then, the headers
 * leave alone, as before. Without a Node response (`app.request` in tests) there is nothing to cork.
 */
export function coalesceFirstWrite(c: Context<AppEnv>): void {
  const outgoing = c.env?.outgoing;
  if (outgoing === undefined || outgoing.headersSent) return;
  outgoing.cork();
  setImmediate(() => outgoing.uncork());
}

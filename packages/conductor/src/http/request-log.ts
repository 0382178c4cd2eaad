import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './app-env.js';

/**
 * One log line per request with its request id (SPEC §9). For a stream this is when the headers
 * leave, not when it ends: the relay logs how the stream finished.
 */
export function requestLog(log: Logger, now: () => number): MiddlewareHandler<AppEnv> {
  // The line's fields are fixed and the gateway's own (a sanitised id, a path without its query),
  // so it skips the root logger's redaction, which cost 8-14 µs a line against 1.4-2.3 µs without.
  const access = log.child({}, { redact: [] });
  return async function requestLogMiddleware(c, next) {
    const started = now();
    await next();
    const { status } = c.res;
    const facts = c.get('relayFacts');
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: now() - started,
      provider: facts?.provider,
      model: facts?.model,
      attempts: facts?.attempts,
    };
    if (status >= 500) access.warn(fields, 'request');
    else access.info(fields, 'request');
  };
}

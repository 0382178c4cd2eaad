import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './app-env.js';

/**
 * One log line per request with its request id (SPEC §9). For a stream this is when the headers
 * leave, not when it ends: the relay logs how the stream finished.
 */
export function requestLog(log: Logger, now: () => number): MiddlewareHandler<AppEnv> {
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
    if (status >= 500) log.warn(fields, 'request');
    else log.info(fields, 'request');
  };
}

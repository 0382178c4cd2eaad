import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import { clientErrorResponse } from '../http/client-error.js';

/** What `/metrics` serves: a prom-client Registry fits as it is. */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * `GET /metrics` in Prometheus text format. It names no key and no request, so it is open by default
 * like most exporters; once admin tokens are configured it asks for one of them (Prometheus sends it
 * with `authorization: { credentials: … }`), since the traffic figures of a shared gateway are its
 * operator's business. The client tokens of `/v1` never open it.
 */
export function metricsRoutes(exposition: MetricsExposition, adminTokens: readonly string[]): Hono<AppEnv> {
  const digests = adminTokens.map(digest);
  const routes = new Hono<AppEnv>();
  routes.get('/metrics', async (c) => {
    if (digests.length > 0 && !allowed(c.req.header('authorization'), digests)) {
      const refusal = clientErrorResponse({
        status: 401,
        message: 'Metrics need an admin token: send "Authorization: Bearer <token>" (gateway.admin_tokens).',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
      refusal.headers.set('www-authenticate', 'Bearer');
      return refusal;
    }
    const text = await exposition.metrics();
    return c.body(text, 200, { 'content-type': exposition.contentType });
  });
  return routes;
}

function allowed(header: string | undefined, digests: readonly Buffer[]): boolean {
  const token = header === undefined ? undefined : /^Bearer[ \t]+(\S+)\s*$/i.exec(header)?.[1];
  if (token === undefined) return false;
  const presented = digest(token);
  // Digests have one length, so the comparison leaks neither a token's content nor its length.
  let matched = false;
  for (const expected of digests) matched = timingSafeEqual(presented, expected) || matched;
  return matched;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

import type { Database } from '@llmgw/db';
import { readiness } from '@llmgw/db';
import { Hono } from 'hono';
import type { AppEnv } from './app-env.js';

/**
 * Probes for orchestrators, outside auth: `/healthz` says the process answers, `/readyz` that it can
 * serve (database reachable, schema current) — a load balancer should route to it.
 */
export function healthRoutes(database: Database): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', async (c) => {
    const state = await readiness(database);
    const body = {
      status: state.ready ? 'ready' : 'not_ready',
      detail: state.detail,
      database: {
        reachable: state.reachable,
        migrations: { applied: state.applied, expected: state.expected },
      },
    };
    return c.json(body, state.ready ? 200 : 503);
  });
  return routes;
}

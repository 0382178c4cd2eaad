import { Hono } from 'hono';
import { adminRoutes } from '../admin/admin-routes.js';
import { dashboardRoutes } from '../dashboard/dashboard-routes.js';
import { metricsRoutes } from '../metrics/metrics-route.js';
import { poolGaugeSource } from '../pool/index.js';
import { messagesRoutes, responsesRoutes } from '../surfaces/index.js';
import type { AppDeps } from './app-deps.js';
import type { AppEnv } from './app-env.js';
import { bearerAuth } from './auth.js';
import { handleError, handleNotFound } from './handle-error.js';
import { healthRoutes } from './health-routes.js';
import { openAiRoutes } from './openai-routes.js';
import { requestId } from './request-id.js';
import { requestLog } from './request-log.js';

/**
 * The conductor's HTTP surface (SPEC §7), without listening: tests call `app.request()`,
 * startConductor serves it.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, log } = deps;
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(requestLog(log, deps.now ?? Date.now));
  app.route('/', healthRoutes(deps.database));
  if (deps.metricsRegistry) app.route('/', metricsRoutes(deps.metricsRegistry, config.gateway.admin_tokens));
  app.route(
    '/admin',
    adminRoutes({
      database: deps.database,
      adminTokens: config.gateway.admin_tokens,
      clientTokens: config.gateway.auth_tokens,
      host: config.gateway.host,
      keeperLockId: config.keeper.leader_lock_id,
      live: { relay: deps.relay, pool: poolGaugeSource(deps.pool) },
      now: deps.now ?? Date.now,
    }),
  );
  app.route('/', dashboardRoutes());
  // Before the bearer middleware: Anthropic clients send the token as x-api-key, and expect their
  // own error shape; the route authenticates itself with the same tokens.
  app.route('/v1', messagesRoutes(deps));
  app.use('/v1/*', bearerAuth({ tokens: config.gateway.auth_tokens }));
  app.route('/v1', openAiRoutes(deps));
  app.route('/v1', responsesRoutes(deps));
  app.notFound(handleNotFound);
  app.onError(handleError(log));
  return app;
}

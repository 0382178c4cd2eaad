import { Hono } from 'hono';
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
  app.use('/v1/*', bearerAuth({ tokens: config.gateway.auth_tokens }));
  app.route('/v1', openAiRoutes(deps));
  app.notFound(handleNotFound);
  app.onError(handleError(log));
  return app;
}

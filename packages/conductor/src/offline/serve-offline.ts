import type { Context } from 'hono';
import type { RelayResult } from '../contracts.js';
import type { AppDeps } from '../http/app-deps.js';
import type { AppEnv } from '../http/app-env.js';
import { OFFLINE_PROVIDER, type OfflineRequest } from './offline-responder.js';

/**
 * Statuses after which the providers count as having failed the request, so a prepared answer may
 * stand in: 429 (every key at its limits), 502/503 (nothing usable, every attempt failed), 504 (out
 * of time). A 4xx of the caller's own, or a client that left (499), is answered as it is.
 */
const STAND_IN_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export function offlineMayAnswer(result: RelayResult): boolean {
  return result.kind === 'error' && STAND_IN_STATUSES.has(result.error.status);
}

/** Answers from the offline packages when an entry matches; undefined leaves the answer as it was. */
export function answerOffline(
  c: Context<AppEnv>,
  deps: AppDeps,
  request: OfflineRequest,
): RelayResult | undefined {
  const result = deps.offline?.answer(request);
  if (result === undefined) return undefined;
  deps.metrics?.offlineHit();
  c.set('responseTagged', true);
  c.set('relayFacts', {
    provider: OFFLINE_PROVIDER,
    model: request.model,
    attempts: result.headers['x-llm-attempts'],
  });
  return result;
}

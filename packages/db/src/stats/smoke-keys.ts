import { and, asc, eq, inArray, isNull, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys, proxies, triples } from '../schema.js';

/**
 * One live triple with what a direct call needs (`llmgw smoke --direct`): the key's secret and pinned
 * proxy, plus where the key came from so a failure can name the file and line to fix. The secret is
 * for the call only; callers print `keyMask`.
 */
export interface SmokeTriple {
  tripleId: number;
  provider: string;
  model: string;
  keyId: number;
  keyMask: string;
  secret: string;
  sourceFile: string;
  sourceLine: number;
  state: string;
  reason: string | null;
  cooldownUntil: Date | null;
  successRate: number;
  proxyId: number | null;
  pinnedProxyUrl: string | null;
  proxyMask: string | null;
  proxyPool: string | null;
  proxyFile: string | null;
  proxyLine: number | null;
}

/** Live triples (key not removed or disabled) of the given providers, healthiest first per provider/model. */
export async function listSmokeTriples(db: Db, providerNames: readonly string[]): Promise<SmokeTriple[]> {
  if (providerNames.length === 0) return [];
  const where: SQL[] = [
    inArray(triples.provider, [...providerNames]),
    ne(triples.state, 'removed'),
    ne(triples.state, 'disabled'),
    isNull(keys.removedAt),
    eq(keys.disabled, false),
  ];
  const rows = await db
    .select({
      tripleId: triples.id,
      provider: triples.provider,
      model: triples.model,
      keyId: triples.keyId,
      keyMask: keys.mask,
      secret: keys.secret,
      sourceFile: keys.sourceFile,
      sourceLine: keys.sourceLine,
      state: triples.state,
      reason: triples.reason,
      cooldownUntil: triples.cooldownUntil,
      successRate: triples.ewmaSuccess,
      proxyId: keys.proxyId,
      pinnedProxyUrl: proxies.url,
      proxyMask: proxies.mask,
      proxyPool: proxies.pool,
      proxyFile: proxies.sourceFile,
      proxyLine: proxies.sourceLine,
    })
    .from(triples)
    .innerJoin(keys, eq(keys.id, triples.keyId))
    .leftJoin(proxies, eq(proxies.id, keys.proxyId))
    .where(and(...where))
    .orderBy(asc(triples.provider), asc(triples.model), asc(triples.keyId));
  return rows;
}

import { basename } from 'node:path';
import { sql } from 'drizzle-orm';
import { at, chunk, type Executor, queryRows, toNumber } from './db-exec.js';
import { maskProxyUrl } from './proxy-file.js';
import type { ProxiesScan } from './scan-files.js';

export interface ProxySyncResult {
  live: number;
  added: number;
  updated: number;
  removed: number;
  restored: number;
  /** Healthy, present proxy ids per pool, in id order: what keys may be pinned to. */
  healthyByPool: Map<string, number[]>;
}

interface ProxyRow {
  pool: string;
  url: string;
  mask: string;
  sourceFile: string;
  sourceLine: number;
}

interface ExistingProxy {
  id: unknown;
  pool: string;
  url: string;
  source_file: string | null;
  source_line: number | null;
  removed: boolean;
}

/**
 * Upserts `proxies/<pool>.txt` by (pool, url) and soft-removes proxies gone from their files. A pool
 * whose file could not be read, or all pools when the folder is missing, keep what they had.
 */
export async function syncProxies(
  executor: Executor,
  scan: ProxiesScan,
  now: Date,
): Promise<ProxySyncResult> {
  const existing = await queryRows<ExistingProxy>(
    executor,
    sql`select id, pool, url, source_file, source_line, removed_at is not null as removed from proxies`,
  );
  const protectedPools = new Set(scan.unreadable.map(({ file }) => basename(file, '.txt')));
  const byKey = new Map(existing.map((row) => [`${row.pool}\n${row.url}`, row]));
  const result: ProxySyncResult = {
    live: 0,
    added: 0,
    updated: 0,
    removed: 0,
    restored: 0,
    healthyByPool: new Map(),
  };
  const upserts: ProxyRow[] = [];
  const wanted = new Set<string>();
  for (const [pool, parsed] of scan.pools) {
    for (const { url, line } of parsed.proxies) {
      const key = `${pool}\n${url}`;
      wanted.add(key);
      result.live += 1;
      const row = byKey.get(key);
      const desired = { pool, url, mask: maskProxyUrl(url), sourceFile: parsed.file, sourceLine: line };
      if (row === undefined) result.added += 1;
      else if (row.removed) result.restored += 1;
      else if (row.source_file === parsed.file && row.source_line === line) continue;
      else result.updated += 1;
      upserts.push(desired);
    }
  }
  const removeIds = scan.found
    ? existing
        .filter(
          (row) => !row.removed && !protectedPools.has(row.pool) && !wanted.has(`${row.pool}\n${row.url}`),
        )
        .map((row) => toNumber(row.id))
    : [];
  for (const rows of chunk(upserts)) await upsertProxies(executor, rows, now);
  if (removeIds.length > 0) {
    await executor.execute(sql`
      update proxies set removed_at = ${at(now)}, updated_at = ${at(now)}
      where id = any(${sql.param(removeIds)}::bigint[])`);
  }
  result.removed = removeIds.length;
  const healthy = await queryRows<{ id: unknown; pool: string }>(
    executor,
    sql`select id, pool from proxies where removed_at is null and healthy order by id`,
  );
  for (const { id, pool } of healthy) {
    const ids = result.healthyByPool.get(pool) ?? [];
    ids.push(toNumber(id));
    result.healthyByPool.set(pool, ids);
  }
  return result;
}

async function upsertProxies(executor: Executor, rows: readonly ProxyRow[], now: Date): Promise<void> {
  await executor.execute(sql`
    insert into proxies (pool, url, mask, source_file, source_line, updated_at)
    select v.pool, v.url, v.mask, v.source_file, v.source_line, ${at(now)}
    from unnest(
      ${sql.param(rows.map((row) => row.pool))}::text[],
      ${sql.param(rows.map((row) => row.url))}::text[],
      ${sql.param(rows.map((row) => row.mask))}::text[],
      ${sql.param(rows.map((row) => row.sourceFile))}::text[],
      ${sql.param(rows.map((row) => row.sourceLine))}::int[]
    ) as v(pool, url, mask, source_file, source_line)
    on conflict (pool, url) do update
      set mask = excluded.mask, source_file = excluded.source_file, source_line = excluded.source_line,
          removed_at = null, updated_at = excluded.updated_at`);
}

import { type LlmgwConfig, providerNames, providerSettings } from '@llmgw/config';
import { sql } from 'drizzle-orm';
import { at, type Executor } from './db-exec.js';

/**
 * Writes one `providers` row per configured provider (type, enabled). A provider that left the config
 * is disabled rather than deleted: its keys and history stay, and the lease no longer sees it.
 */
export async function syncProviders(executor: Executor, config: LlmgwConfig, now: Date): Promise<number> {
  const names = providerNames(config, { includeDisabled: true });
  const types = names.map((name) => providerSettings(config, name).type);
  const enabled = names.map((name) => providerSettings(config, name).enabled);
  await executor.execute(sql`
    insert into providers (name, type, enabled, updated_at)
    select v.name, v.type, v.enabled, ${at(now)}
    from unnest(${sql.param(names)}::text[], ${sql.param(types)}::text[], ${sql.param(enabled)}::boolean[])
      as v(name, type, enabled)
    on conflict (name) do update
      set type = excluded.type, enabled = excluded.enabled, updated_at = excluded.updated_at
      where providers.type is distinct from excluded.type or providers.enabled is distinct from excluded.enabled`);
  await executor.execute(sql`
    update providers set enabled = false, updated_at = ${at(now)}
    where enabled and not (name = any(${sql.param(names)}::text[]))`);
  return names.length;
}

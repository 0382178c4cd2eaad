import pg from 'pg';
import type { LockSession } from './leadership.js';

/** Opens a dedicated Postgres session for the keeper's advisory lock (never a pooled connection). */
export async function openPgLockSession(url: string, connectTimeoutMs = 5000): Promise<LockSession> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'llmgw-keeper-lock',
    keepAlive: true,
    // A leader that cannot reach the server within this time must not keep believing it leads.
    query_timeout: connectTimeoutMs,
  });
  let lostListener: ((error: Error) => void) | null = null;
  let closing = false;
  const lost = (error: Error) => {
    if (!closing) lostListener?.(error);
  };
  client.on('error', lost);
  client.on('end', () => lost(new Error('connection ended')));
  await client.connect();
  return {
    async tryLock(lockId) {
      const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [
        lockId,
      ]);
      return result.rows[0]?.locked === true;
    },
    async ping() {
      await client.query('select 1');
    },
    onLost(listener) {
      lostListener = listener;
    },
    async close() {
      closing = true;
      await client.end().catch(() => undefined);
    },
  };
}

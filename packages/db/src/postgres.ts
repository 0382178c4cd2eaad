import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { maskDatabaseUrl, unreachableError } from './connection-errors.js';
import type { Database, DbSession, RawQuery } from './database.js';
import { ADVISORY_LOCK_IDS, attachHooks } from './internal.js';
import { countAppliedMigrations } from './migrations-state.js';
import * as schema from './schema.js';

// Fail in seconds, not minutes, when the server is unreachable.
const CONNECT_TIMEOUT_MS = 10_000;

function rawQuery(client: pg.Pool | pg.Client): RawQuery {
  return async (text, params = []) => (await client.query(text, [...params])).rows;
}

async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A dropped connection surfaces on the next query; without a listener Node would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw unreachableError(url, error);
  }
  return client;
}

async function openPostgresSession(url: string): Promise<DbSession> {
  const client = await connectClient(url);
  return {
    db: drizzle(client, { schema }),
    query: rawQuery(client),
    async listen(channel, onPayload) {
      const onNotification = (message: pg.Notification): void => {
        if (message.channel === channel) onPayload(message.payload ?? '');
      };
      client.on('notification', onNotification);
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      return async () => {
        client.off('notification', onNotification);
        await client.query(`UNLISTEN ${client.escapeIdentifier(channel)}`);
      };
    },
    close: () => client.end(),
  };
}

/**
 * drizzle's migrator checks what is applied and then applies the rest, which races between two
 * processes booting at once; a session advisory lock on a dedicated connection makes it one at a time.
 */
async function migrateUnderLock(url: string, migrationsFolder: string): Promise<number> {
  const client = await connectClient(url);
  try {
    await client.query('select pg_advisory_lock($1)', [ADVISORY_LOCK_IDS.migrate]);
    const before = await countAppliedMigrations(rawQuery(client));
    await migrate(drizzle(client, { schema }), { migrationsFolder });
    return (await countAppliedMigrations(rawQuery(client))) - before;
  } finally {
    // Ending the connection releases the session lock, on success and on failure alike.
    await client.end().catch(() => {});
  }
}

export function createPostgresDatabase(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // Errors of idle pooled connections (server restart) must not crash the process; the next query reports.
  pool.on('error', () => {});
  const database: Database = {
    kind: 'postgres',
    db: drizzle(pool, { schema }),
    target: maskDatabaseUrl(url),
    query: rawQuery(pool),
    openSession: () => openPostgresSession(url),
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
  return attachHooks(database, { migrate: (folder) => migrateUnderLock(url, folder) });
}

import { createTestDatabase } from '@llmgw/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Leadership, startLeadership } from './leadership.js';
import { openPgLockSession } from './pg-lock-session.js';

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function candidate(name: string, events: string[]): Leadership {
  return startLeadership(
    {
      lockId: 4242,
      openSession: () => openPgLockSession(database.url),
      checkIntervalMs: 100,
      maxBackoffMs: 1000,
      log: () => undefined,
    },
    {
      onAcquired: () => void events.push(`${name}:acquired`),
      onLost: () => void events.push(`${name}:lost`),
    },
  );
}

describe('keeper leadership', () => {
  it('lets exactly one of two candidates lead, and the standby takes over when the leader stops', async () => {
    const events: string[] = [];
    const first = candidate('a', events);
    await waitFor(() => first.isLeader());
    const second = candidate('b', events);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(second.isLeader()).toBe(false);
    await first.stop();
    await waitFor(() => second.isLeader());
    expect(events).toEqual(['a:acquired', 'a:lost', 'b:acquired']);
    await second.stop();
  });

  it('steps down when its session is killed and leads again once it can', async () => {
    const events: string[] = [];
    const leader = candidate('a', events);
    await waitFor(() => leader.isLeader());
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'llmgw-keeper-lock' and datname = current_database()",
    );
    await admin.end();
    await waitFor(() => events.includes('a:lost'));
    await waitFor(() => leader.isLeader());
    expect(events).toEqual(['a:acquired', 'a:lost', 'a:acquired']);
    await leader.stop();
  });

  it('keeps one lock session through repeated losses, and none once stopped', async () => {
    const events: string[] = [];
    const leader = candidate('a', events);
    await waitFor(() => leader.isLeader());
    for (let loss = 1; loss <= 3; loss++) {
      await lockSessions('terminate');
      await waitFor(() => events.filter((event) => event === 'a:lost').length === loss);
      await waitFor(() => leader.isLeader());
    }
    // Several check intervals: a second chain of checks would open a second session meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await lockSessions('count')).toBe(1);
    await leader.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await lockSessions('count')).toBe(0);
    expect(events.at(-1)).toBe('a:lost');
    expect(leader.isLeader()).toBe(false);
  });
});

/** Counts, or terminates, this database's keeper lock sessions. */
async function lockSessions(action: 'count' | 'terminate'): Promise<number> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const result = await admin.query<{ n: number }>(
      `select count(${action === 'terminate' ? 'pg_terminate_backend(pid)' : '*'})::int as n from pg_stat_activity where application_name = 'llmgw-keeper-lock' and datname = current_database()`,
    );
    return result.rows[0]?.n ?? 0;
  } finally {
    await admin.end();
  }
}

import type { Database, DbSession } from '@llmgw/db';
import { CAPACITY_CHANNEL } from './concurrency.js';

export interface CapacityListener {
  /** Starts listening if not already (retried by the caller after database trouble). */
  ensure(): Promise<void>;
  /** Checks the dedicated connection is still alive; drops it when not, so `ensure` reopens it. */
  check(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * LISTEN on a dedicated session (Postgres only): another replica giving slots back wakes this one's
 * queue at once instead of at the next periodic re-claim. PGlite is one process: nothing to hear.
 */
export function createCapacityListener(
  database: Database,
  holder: string,
  onCapacity: () => void,
): CapacityListener {
  let session: DbSession | null = null;
  let opening: Promise<void> | null = null;
  let stopped = false;
  const drop = async () => {
    const old = session;
    session = null;
    await old?.close().catch(() => {});
  };
  return {
    async ensure() {
      if (database.kind !== 'postgres' || session || stopped) return;
      if (opening) return opening;
      opening = (async () => {
        const opened = await database.openSession();
        try {
          await opened.listen(CAPACITY_CHANNEL, (payload) => {
            if (payload !== holder) onCapacity();
          });
        } catch (error) {
          await opened.close().catch(() => {});
          throw error;
        }
        if (stopped) await opened.close().catch(() => {});
        else session = opened;
      })().finally(() => {
        opening = null;
      });
      return opening;
    },
    async check() {
      if (!session) return;
      try {
        await session.query('select 1');
      } catch {
        await drop();
      }
    },
    async stop() {
      stopped = true;
      await opening?.catch(() => {});
      await drop();
    },
  };
}

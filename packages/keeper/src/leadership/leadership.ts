import { escalatingDelay, withJitter } from '@llmgw/core';

/** A dedicated database session: the advisory lock lives exactly as long as it does. */
export interface LockSession {
  tryLock(lockId: number): Promise<boolean>;
  /** Cheap round trip proving the session (and so the lock) is still alive. */
  ping(): Promise<void>;
  /** Called once if the session dies under us (server restart, network cut, backend killed). */
  onLost(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface LeadershipEvents {
  onAcquired(): void | Promise<void>;
  onLost(why: string): void | Promise<void>;
}

export interface LeadershipOptions {
  lockId: number;
  openSession(): Promise<LockSession>;
  /** How often a standby retries the lock, and how often the leader proves its session alive. */
  checkIntervalMs: number;
  /** Cap on the reconnect backoff while the database is unreachable. */
  maxBackoffMs: number;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

export interface Leadership {
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Exactly one active keeper per database (SPEC §6): a session-level advisory lock held on a dedicated
 * connection. If the leader dies its session ends, Postgres frees the lock, and a standby's next
 * `tryLock` wins — within one check interval. A leader whose session dies steps down at once.
 */
export function startLeadership(options: LeadershipOptions, events: LeadershipEvents): Leadership {
  let session: LockSession | null = null;
  let leader = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  // One pending check at a time: a second timer would start a second chain of ticks, and two chains
  // racing for a session can leak one that holds the lock (or lead again after stop()).
  const schedule = (delayMs: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      running = tick();
    }, delayMs);
  };

  const dropSession = async (why: string) => {
    const lost = session;
    session = null;
    if (leader) {
      leader = false;
      options.log('keeper.leadership_lost', { why });
      await events.onLost(why);
    }
    await lost?.close().catch(() => undefined);
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (session === null) {
        const opened = await options.openSession();
        opened.onLost((error) => {
          // After the tick in flight, never beside it: a failing tick may already have dropped this session.
          running = running.then(async () => {
            if (session !== opened || stopped) return;
            await dropSession(`database session lost: ${error.message}`);
            schedule(0);
          });
        });
        session = opened;
      }
      if (leader) {
        await session.ping();
      } else if (await session.tryLock(options.lockId)) {
        leader = true;
        options.log('keeper.leadership_acquired', { lockId: options.lockId });
        await events.onAcquired();
      }
      failures = 0;
      schedule(withJitter(options.checkIntervalMs, 0.1));
    } catch (error) {
      failures += 1;
      const delay = escalatingDelay(
        Math.min(500, options.checkIntervalMs),
        options.maxBackoffMs,
        failures - 1,
      );
      options.log('keeper.leadership_retry', {
        error: error instanceof Error ? error.message : String(error),
        inMs: delay,
      });
      await dropSession('database unreachable');
      schedule(delay);
    }
  };

  running = tick();

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
      // Closing the session releases the advisory lock for a standby.
      await dropSession('stopping');
    },
  };
}

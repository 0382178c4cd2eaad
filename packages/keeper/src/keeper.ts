import type { KeeperDeps } from './deps.js';
import { type Leadership, type LockSession, startLeadership } from './leadership/leadership.js';

/** A part of the keeper that runs only while this process leads. */
export interface LeaderDuty {
  name: string;
  start(deps: KeeperDeps): { stop(): Promise<void> };
}

export interface KeeperOptions {
  /**
   * Opens the dedicated session the leader lock lives on. Without one (the embedded database, which
   * only one process can open) this keeper leads unconditionally.
   */
  openLockSession?: () => Promise<LockSession>;
  lockId: number;
  duties: readonly LeaderDuty[];
  /** How often a standby tries for the lock, and the leader proves its session alive. */
  checkIntervalMs?: number;
}

export interface Keeper {
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * The keeper (SPEC §6): sync, probes, amnesty and maintenance run only on the one leader per
 * database. A standby takes over within a check interval of the leader's session dying; a leader that
 * loses its session (database restart, network cut) stops its duties and competes again once the
 * database is back, without a restart.
 */
export function startKeeper(deps: KeeperDeps, options: KeeperOptions): Keeper {
  let running: { name: string; stop(): Promise<void> }[] = [];

  const startDuties = () => {
    deps.log.info({ duties: options.duties.map((duty) => duty.name) }, 'keeper: leading, starting duties');
    running = options.duties.map((duty) => ({ name: duty.name, ...duty.start(deps) }));
  };
  const stopDuties = async () => {
    const stopping = running;
    running = [];
    await Promise.all(
      stopping.map((duty) =>
        duty.stop().catch((error: unknown) => {
          deps.log.error({ duty: duty.name, error: String(error) }, 'keeper: duty failed to stop cleanly');
        }),
      ),
    );
  };

  if (!options.openLockSession) {
    startDuties();
    return { isLeader: () => true, stop: stopDuties };
  }

  const leadership: Leadership = startLeadership(
    {
      lockId: options.lockId,
      openSession: options.openLockSession,
      checkIntervalMs: options.checkIntervalMs ?? 2000,
      maxBackoffMs: 30_000,
      log: (event, fields) => deps.log.info({ event, ...fields }, event),
    },
    {
      onAcquired: startDuties,
      onLost: async (why) => {
        deps.log.warn({ why }, 'keeper: lost leadership, stopping duties');
        await stopDuties();
      },
    },
  );
  return {
    isLeader: () => leadership.isLeader(),
    // Stopping the leadership ends the session, which releases the lock for a standby.
    stop: () => leadership.stop(),
  };
}

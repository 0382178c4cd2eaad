import { healthPolicy, providerNames } from '@llmgw/config';
import { resetTriples } from '@llmgw/db';
import cron, { type ScheduledTask } from 'node-cron';
import type { KeeperDeps } from '../deps.js';

/**
 * States the daily amnesty starts over. `no_quota` is left out on purpose although core counts it as
 * an amnesty state: its cooldown always has an end (the provider's stated reset, honoured to the
 * second, or `cooldown.no_quota`), and the due query probes it then; an amnesty before that end would
 * make the triple leasable while its quota is known to be gone.
 */
const AMNESTY_STATES = ['dead', 'unsupported'] as const;

export interface AmnestyReport {
  /** Triples started over, per provider. */
  reset: Record<string, number>;
}

/**
 * The daily amnesty (SPEC §5/§6): verdicts that may have changed upstream since (a key topped up, a
 * model granted) get another probe. Goes through db's `resetTriples`, the same path as a manual reset,
 * so each triple is audited (reason `amnesty`) and due at once.
 */
export async function runAmnesty(deps: KeeperDeps, providers: readonly string[]): Promise<AmnestyReport> {
  const reset: Record<string, number> = {};
  const now = deps.now();
  for (const provider of providers) {
    reset[provider] = await resetTriples(
      deps.database.db,
      { provider, states: [...AMNESTY_STATES] },
      { now, actor: deps.actor, why: 'amnesty' },
    );
  }
  deps.log.info({ event: 'keeper.amnesty', reset }, 'amnesty: dead and unsupported triples due again');
  return { reset };
}

export interface AmnestySchedule {
  runNow(providers?: readonly string[]): Promise<AmnestyReport>;
  stop(): Promise<void>;
}

/** One cron task per distinct `health.cooldown.amnesty_schedule`, covering the providers that use it. */
export function startAmnesty(deps: KeeperDeps): AmnestySchedule {
  const bySchedule = new Map<string, string[]>();
  for (const provider of providerNames(deps.config)) {
    const schedule = healthPolicy(deps.config, provider).cooldown.amnesty_schedule;
    bySchedule.set(schedule, [...(bySchedule.get(schedule) ?? []), provider]);
  }
  const running = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => undefined);
    return work;
  };
  const tasks: ScheduledTask[] = [...bySchedule].map(([schedule, providers]) =>
    cron.schedule(
      schedule,
      () =>
        track(runAmnesty(deps, providers)).catch((error: unknown) => {
          deps.log.error({ event: 'keeper.amnesty_failed', error: String(error) }, 'amnesty failed');
        }),
      { noOverlap: true, name: `llmgw-amnesty:${schedule}` },
    ),
  );
  return {
    runNow: (providers = providerNames(deps.config)) => track(runAmnesty(deps, providers)),
    stop: async () => {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.allSettled([...running]);
    },
  };
}

import { healthPolicy, keeperSettings, providerNames } from '@llmgw/config';
import { describeDbError } from '@llmgw/db';
import cron from 'node-cron';
import type { KeeperDeps } from '../deps.js';
import { type AmnestyReport, startAmnesty } from './amnesty.js';
import { deferTriplesWithEvidence, selectDueTriples } from './due-triples.js';
import { checkBadProxies, type ProxyCheckReport } from './proxy-health.js';
import { runProbeBatch } from './run-probes.js';

export interface ProbeTickReport {
  /** Probes sent and answered (or timed out). */
  probed: number;
  /** Count per outcome: `ok` or a failure reason. */
  outcomes: Record<string, number>;
  /** Correlatable failures not blamed on their triple because the provider or proxy was. */
  spared: number;
  /** At their RPM/RPD limit: not probed this tick. */
  rateLimited: number;
  /** No usable route (a pool key without a proxy) or stopped before its turn. */
  skipped: number;
  /** Active triples whose recent real traffic made a probe unnecessary. */
  deferredByTraffic: number;
  providerCooldowns: string[];
  proxiesMarkedBad: number[];
  proxies: ProxyCheckReport;
  durationMs: number;
}

export interface ProbeLoopOptions {
  /** Due triples fetched per batch; a batch is probed and recorded before the next is fetched. */
  batchSize?: number;
  /** Upper bound of probes in one tick, so a huge first pass is spread over several ticks. */
  maxProbesPerTick?: number;
  /** A progress line every this many probes within one tick. */
  progressEvery?: number;
  random?: () => number;
}

export interface ProbeLoop {
  tickNow(): Promise<ProbeTickReport>;
  amnestyNow(providers?: readonly string[]): Promise<AmnestyReport>;
  stop(): Promise<void>;
}

/**
 * The keeper's probing (SPEC §6): a node-cron tick (`keeper.probe.schedule`, with seconds) that probes
 * whatever is due, plus the daily amnesty schedules and the re-check of bad proxies. Ticks never
 * overlap: a tick that is still working when the next fires makes that one a no-op, and `tickNow`
 * waits its turn. `stop` aborts in-flight probes (recorded as nothing: a triple is never blamed for
 * our shutdown) and resolves when the running tick has finished.
 */
export function startProbeLoop(deps: KeeperDeps, options: ProbeLoopOptions = {}): ProbeLoop {
  const stopping = new AbortController();
  let current: Promise<ProbeTickReport> | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const runTick = (): Promise<ProbeTickReport> => {
    const next = queue.then(() => tick(deps, stopping.signal, options));
    queue = next.catch(() => undefined);
    current = next;
    // Not `finally`: its promise would reject with the tick and, unobserved, crash the process.
    const clear = () => {
      if (current === next) current = null;
    };
    next.then(clear, clear);
    return next;
  };

  const task = cron.schedule(
    keeperSettings(deps.config).probe.schedule,
    () => {
      if (current !== null || stopping.signal.aborted) return;
      runTick().catch((error: unknown) => {
        deps.log.error(
          { event: 'keeper.probe_tick_failed', error: describeDbError(error).message },
          'probe tick failed',
        );
      });
    },
    { noOverlap: true, name: 'llmgw-probe' },
  );
  const amnesty = startAmnesty(deps);

  return {
    tickNow: runTick,
    amnestyNow: (providers) => amnesty.runNow(providers),
    stop: async () => {
      stopping.abort();
      await task.stop();
      await amnesty.stop();
      await queue;
    },
  };
}

async function tick(
  deps: KeeperDeps,
  stop: AbortSignal,
  options: ProbeLoopOptions,
): Promise<ProbeTickReport> {
  const started = deps.now();
  const batchSize = options.batchSize ?? Math.max(32, keeperSettings(deps.config).probe.concurrency * 4);
  const maxProbes = options.maxProbesPerTick ?? 2_000;
  const progressEvery = options.progressEvery ?? 100;
  const providers = providerNames(deps.config);
  const report: ProbeTickReport = {
    probed: 0,
    outcomes: {},
    spared: 0,
    rateLimited: 0,
    skipped: 0,
    deferredByTraffic: 0,
    providerCooldowns: [],
    proxiesMarkedBad: [],
    proxies: { checked: 0, recovered: 0 },
    durationMs: 0,
  };
  if (stop.aborted) return report;

  report.proxies = await checkBadProxies(deps, started, stop);
  const intervals = new Map(providers.map((name) => [name, healthPolicy(deps.config, name).interval_active]));
  report.deferredByTraffic = await deferTriplesWithEvidence(deps.database.db, started, intervals);

  // Every processed triple gets a later next_probe_at or is held back by a cooldown; the seen list
  // guarantees progress even if one of those writes lost a race with the conductor.
  const seen: number[] = [];
  while (!stop.aborted && seen.length < maxProbes) {
    const due = await selectDueTriples(deps.database.db, {
      now: deps.now(),
      limit: Math.min(batchSize, maxProbes - seen.length),
      providers,
      exclude: seen,
    });
    if (due.length === 0) break;
    seen.push(...due.map((triple) => triple.tripleId));
    const batch = await runProbeBatch(deps, due, {
      stop,
      ...(options.random ? { random: options.random } : {}),
      onProbed: () => {
        report.probed += 1;
        if (report.probed % progressEvery === 0) {
          deps.log.info({ event: 'keeper.probe_progress', probed: report.probed }, 'probing');
        }
      },
    });
    for (const disposition of batch.dispositions) {
      if (disposition.kind === 'rate_limited') report.rateLimited += 1;
      else if (disposition.kind === 'skipped') report.skipped += 1;
      else {
        report.outcomes[disposition.outcome] = (report.outcomes[disposition.outcome] ?? 0) + 1;
        if (disposition.spared) report.spared += 1;
      }
    }
    report.providerCooldowns.push(...batch.blame.providers);
    report.proxiesMarkedBad.push(...batch.blame.proxies);
  }
  report.durationMs = deps.now() - started;
  // Counts only: a tick summary never names a key, let alone shows one.
  deps.log.info({ event: 'keeper.probe_tick', ...report }, 'probe tick');
  return report;
}

import { Agent, request } from 'undici';

export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LatencySummary {
  rate: number;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  /** Every latency of the run, sorted (ms): rounds are pooled from these. */
  latencies: number[];
}

/** The summary of latencies pooled from several runs of the same target. */
export function pooled(runs: readonly LatencySummary[]): LatencySummary {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const sum = (pick: (run: LatencySummary) => number) => runs.reduce((total, run) => total + pick(run), 0);
  return {
    rate: runs[0]?.rate ?? 0,
    sent: sum((run) => run.sent),
    ok: sum((run) => run.ok),
    failed: sum((run) => run.failed),
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    latencies,
  };
}

/** The middle value (the upper one of an even count): the headline over rounds. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Open-loop load: requests start on a fixed schedule whatever the server does, and each latency is
 * measured from its *scheduled* start, so a stalled server cannot hide its queueing (no coordinated
 * omission). Latencies are in milliseconds with microsecond resolution.
 */
export async function openLoop(target: Target, rate: number, durationMs: number): Promise<LatencySummary> {
  const [summary] = await openLoopAlternating([target], rate, durationMs);
  if (summary === undefined) throw new Error('open loop gave no summary');
  return summary;
}

/**
 * Open-loop load on several targets in turn: one fixed-rate schedule whose successive `sliceMs` slices
 * go to each target in rotation, until each had `durationMs`. Compared targets (direct and through the
 * gateway) then see the same minutes of a shared machine rather than consecutive ones, whose load
 * drifts; each keeps its own keep-alive connections across its slices.
 */
export async function openLoopAlternating(
  targets: readonly Target[],
  rate: number,
  durationMs: number,
  sliceMs = 1000,
): Promise<LatencySummary[]> {
  const intervalNs = BigInt(Math.round(1e9 / rate));
  const perSlice = Math.max(1, Math.round((rate * sliceMs) / 1000));
  const perTarget = Math.round((rate * durationMs) / 1000);
  const total = perTarget * targets.length;
  // Whole slices in rotation: a target can get up to one slice more than its share.
  const capacity = Math.ceil(total / (perSlice * Math.max(1, targets.length))) * perSlice;
  // The generator shares the cores with what it measures, and its own garbage collections stall
  // whichever target's second they land in. So nothing per request outlives the request: latencies
  // go into a preallocated array (no growth, nothing for the collector to trace) and finished
  // requests are counted, not kept as promises until the end.
  const runs = targets.map((target) => ({
    target,
    agent: new Agent({ connections: 256, keepAliveTimeout: 30_000 }),
    latencies: new Float64Array(capacity),
    count: 0,
    sent: 0,
    ok: 0,
    failed: 0,
  }));
  let pending = 0;
  let drained: (() => void) | undefined;
  const settle = () => {
    pending -= 1;
    if (pending === 0) drained?.();
  };
  const start = process.hrtime.bigint();
  for (let index = 0; index < total; index += 1) {
    const run = runs[Math.floor(index / perSlice) % runs.length];
    if (run === undefined) break;
    const scheduled = start + intervalNs * BigInt(index);
    const now = process.hrtime.bigint();
    if (scheduled > now) {
      const waitMs = Number(scheduled - now) / 1e6;
      if (waitMs >= 1) await new Promise((resolve) => setTimeout(resolve, Math.floor(waitMs)));
    }
    run.sent += 1;
    const { target } = run;
    // A wait under a millisecond is not slept (timers are that coarse), so a request may leave up to
    // 1 ms before its slot. Measured from its slot, that early start read as less latency (the direct
    // p50 once came out at 7 µs): a request measures from its slot, or from its start when that was earlier.
    const sentAt = process.hrtime.bigint();
    const from = sentAt > scheduled ? scheduled : sentAt;
    pending += 1;
    request(target.url, {
      method: 'POST',
      headers: target.headers,
      body: target.body,
      dispatcher: run.agent,
    })
      .then(async (response) => {
        await response.body.text();
        run.latencies[run.count] = Number(process.hrtime.bigint() - from) / 1e6;
        run.count += 1;
        if (response.statusCode === 200) run.ok += 1;
        else run.failed += 1;
      })
      .catch(() => {
        run.failed += 1;
      })
      .finally(settle);
  }
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
  await Promise.all(runs.map((run) => run.agent.close()));
  return runs.map((run) => {
    const sorted = Array.from(run.latencies.subarray(0, run.count)).sort((a, b) => a - b);
    return {
      rate,
      sent: run.sent,
      ok: run.ok,
      failed: run.failed,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      latencies: sorted,
    };
  });
}

/**
 * Time to the first body byte of a streamed answer, `count` sequential requests to each target, one
 * to each in turn so all see the same moments of a shared machine; p50/p99 in ms per target. Each
 * target keeps its own keep-alive connections.
 */
export async function streamFirstByteAlternating(
  targets: readonly Target[],
  count: number,
): Promise<{ p50: number; p99: number }[]> {
  const runs = targets.map((target) => ({
    target,
    agent: new Agent({ connections: 4, keepAliveTimeout: 30_000 }),
    samples: [] as number[],
  }));
  for (let index = 0; index < count; index += 1) {
    for (const run of runs) {
      const started = process.hrtime.bigint();
      const response = await request(run.target.url, {
        method: 'POST',
        headers: run.target.headers,
        body: run.target.body,
        dispatcher: run.agent,
      });
      let first = true;
      for await (const _chunk of response.body) {
        if (first) {
          run.samples.push(Number(process.hrtime.bigint() - started) / 1e6);
          first = false;
        }
      }
    }
  }
  await Promise.all(runs.map((run) => run.agent.close()));
  return runs.map((run) => {
    const sorted = run.samples.sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  });
}

import { readdir, readFile } from 'node:fs/promises';

/** A process's scheduler counters summed over its threads (Linux `/proc/<pid>/task/<tid>/schedstat`). */
export interface SchedTimes {
  /** Time on a core (ns). */
  runNs: number;
  /** Time runnable but waiting for a core (ns). */
  waitNs: number;
  /** Times it was switched onto a core. */
  slices: number;
}

/**
 * Every thread counts (V8's GC helpers, libuv's pool), not only the event loop's: they take the same
 * cores. A thread that ended between two readings drops out of the later one, so a difference can
 * undercount by what it did; a Node server's threads live as long as it does. Null off Linux.
 */
export async function schedTimes(pid: number | undefined): Promise<SchedTimes | null> {
  if (pid === undefined) return null;
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => null);
  if (tasks === null) return null;
  const times: SchedTimes = { runNs: 0, waitNs: 0, slices: 0 };
  for (const task of tasks) {
    const line = await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8').catch(() => '');
    const [run, wait, slices] = line.trim().split(/\s+/).map(Number);
    if (run === undefined || wait === undefined || slices === undefined || Number.isNaN(slices)) continue;
    times.runNs += run;
    times.waitNs += wait;
    times.slices += slices;
  }
  return times;
}

/** Per request between two readings: µs on a core, µs waiting for one, and slices. */
export interface PerRequest {
  cpuUs: number;
  waitUs: number;
  slices: number;
}

export function perRequest(
  before: SchedTimes | null,
  after: SchedTimes | null,
  requests: number,
): PerRequest | null {
  if (before === null || after === null || requests <= 0) return null;
  return {
    cpuUs: (after.runNs - before.runNs) / 1e3 / requests,
    waitUs: (after.waitNs - before.waitNs) / 1e3 / requests,
    slices: (after.slices - before.slices) / requests,
  };
}

/**
 * Reads each process's counters now; the function it returns reads them again and gives each
 * process's figures per request, for the requests each one served in between.
 */
export async function countCores(
  pids: readonly (number | undefined)[],
): Promise<(served: readonly number[]) => Promise<(PerRequest | null)[]>> {
  const before = await Promise.all(pids.map(schedTimes));
  return async (served) => {
    const after = await Promise.all(pids.map(schedTimes));
    return pids.map((_, index) =>
      perRequest(before[index] ?? null, after[index] ?? null, served[index] ?? 0),
    );
  };
}

import { stat } from 'node:fs';

/*
 * Debian 12's glibc (2.36) can lose a wake-up of a thread waiting on a condition variable (glibc bug
 * 25847). libuv's thread pool waits on one: a job queued at that moment stays queued with every pool
 * thread asleep, until the next job wakes one. Seen once in CI: a vitest worker sat idle for 12
 * minutes on the `fs` read of a dependency its test file imported (an `FSReqPromise` pending, the four
 * pool threads in `futex_wait`); queuing one `fs.stat` freed it at once. A cheap job every second
 * bounds such a stall to about a second. Vitest has no timeout for a test file's imports.
 */

/** Queues one tiny thread-pool job every `everyMs`; the timer never keeps the process alive. */
export function nudgeThreadPool(everyMs = 1000): () => void {
  const timer = setInterval(() => stat('.', () => {}), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

import { createHook } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { nudgeThreadPool } from './threadpool-nudge.js';

/** Counts thread-pool fs requests (callback style, as the nudge makes them) created during `run`. */
async function countFsJobs(run: () => Promise<void>): Promise<number> {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'FSREQCALLBACK') count += 1;
    },
  }).enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  return count;
}

describe('nudgeThreadPool', () => {
  it('queues a thread-pool job every interval until it is stopped', async () => {
    const stop = nudgeThreadPool(50);
    const running = await countFsJobs(() => sleep(400));
    stop();
    const stopped = await countFsJobs(() => sleep(200));
    // 400 ms at 50 ms is 8 jobs; a loaded machine fires timers late, never early. Once stopped, only
    // this worker's own once-a-second nudge (vitest-setup.ts) may still queue one.
    expect(running).toBeGreaterThanOrEqual(3);
    expect(stopped).toBeLessThanOrEqual(1);
  });
});

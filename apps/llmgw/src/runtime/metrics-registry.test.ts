import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runModule } from './run-module.js';

const REGISTRY_MODULE = fileURLToPath(new URL('./metrics-registry.ts', import.meta.url));

/** How often an otherwise idle process with the registry is put on a core in one second. */
async function idleWakeUps(): Promise<{ wakeUps: number; lagMetrics: string[] }> {
  const code = `
    import { readFileSync } from 'node:fs';
    import { createProcessRegistry } from ${JSON.stringify(REGISTRY_MODULE)};
    const registry = createProcessRegistry();
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    // The third field of schedstat: how many times this (main) thread has run on a core.
    const runs = () => Number(readFileSync('/proc/self/task/' + process.pid + '/schedstat', 'utf8').split(' ')[2]);
    await sleep(500);
    const before = runs();
    await sleep(1000);
    const wakeUps = runs() - before;
    const lagMetrics = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.includes('eventloop_lag'));
    process.stdout.write(JSON.stringify({ wakeUps, lagMetrics }));
  `;
  return JSON.parse(await runModule(code));
}

describe('the process registry', () => {
  it.runIf(process.platform === 'linux')(
    'reports event-loop lag without waking an idle process a hundred times a second',
    async () => {
      const { wakeUps, lagMetrics } = await idleWakeUps();
      expect(lagMetrics).toContain('nodejs_eventloop_lag_p99_seconds');
      // prom-client's default 10 ms sampling put the main thread on a core 100+ times in this second.
      expect(wakeUps).toBeLessThan(40);
    },
    60_000,
  );
});

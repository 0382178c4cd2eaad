import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from './heap.js';
import { runModule } from './run-module.js';

const HEAP_MODULE = fileURLToPath(new URL('./heap.ts', import.meta.url));

/**
 * A child process that keeps ~20 MB live and churns objects which outlive a few scavenges (they are
 * promoted, then die), like request-scoped garbage under load; prints the old space's peak size.
 */
async function peakOldSpaceMb(env: Record<string, string>): Promise<number> {
  const code = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { tuneHeapGrowth } from ${JSON.stringify(HEAP_MODULE)};
    tuneHeapGrowth(${JSON.stringify(env)}, []);
    const live = Array.from({ length: 200000 }, (_, i) => ({ i, s: 'live-' + i }));
    const ring = new Array(200000);
    let peak = 0;
    for (let n = 0; n < 2000000; n += 1) {
      ring[n % ring.length] = { n, s: 'garbage-' + n, a: [n, n + 1] };
      if (n % 10000 === 0) {
        const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
        peak = Math.max(peak, old ? old.space_size : 0);
      }
    }
    console.log(Math.round(peak / 1048576), live.length);
  `;
  return Number((await runModule(code)).split(' ')[0]);
}

describe('heap growth of long-running commands', () => {
  it('keeps the old generation far smaller while promoted garbage churns', async () => {
    // 300 % is V8's own choice on a machine with a few GB of RAM; fixed here so a small machine gives
    // the same comparison.
    const [plain, tuned] = await Promise.all([
      peakOldSpaceMb({ LLMGW_HEAP_GROWING_PERCENT: '300' }),
      peakOldSpaceMb({}),
    ]);
    expect(plain).toBeGreaterThan(0);
    expect(tuned).toBeLessThan(plain * 0.7);
  }, 60_000);

  it('leaves a factor the operator gave node on its command line alone', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=200'], {})).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent=200'], {})).toBeNull();
    expect(heapGrowthFlag(['--enable-source-maps'], {})).toBe(
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    );
  });

  it('takes LLMGW_HEAP_GROWING_PERCENT, 0 meaning V8 decides, and names the variable when it is not a number', () => {
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '100' })).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '0' })).toBeNull();
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '00' })).toBeNull();
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '' })).toBe(
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    );
    expect(() => heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '1.5x' })).toThrow(
      /LLMGW_HEAP_GROWING_PERCENT must be a whole number.*"1\.5x"/,
    );
  });
});

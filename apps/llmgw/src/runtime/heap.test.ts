import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from './heap.js';

const run = promisify(execFile);
const HEAP_MODULE = fileURLToPath(new URL('./heap.ts', import.meta.url));

/**
 * A child process that keeps ~20 MB live and churns objects which outlive a few scavenges (they are
 * promoted, then die), like request-scoped garbage under load; prints the old space's peak size.
 */
async function runModule(code: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code],
    {
      timeout: 30_000,
    },
  );
  return stdout.trim();
}

async function peakOldSpaceMb(tuned: boolean): Promise<number> {
  const code = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { tuneHeapGrowth } from ${JSON.stringify(HEAP_MODULE)};
    if (${tuned}) tuneHeapGrowth([], {});
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
  const { stdout } = await run(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code],
    {
      timeout: 30_000,
    },
  );
  return Number(stdout.trim().split(' ')[0]);
}

describe('heap growth of long-running commands', () => {
  it('keeps the old generation far smaller while promoted garbage churns', async () => {
    const [plain, tuned] = await Promise.all([peakOldSpaceMb(false), peakOldSpaceMb(true)]);
    expect(plain).toBeGreaterThan(0);
    expect(tuned).toBeLessThan(plain * 0.7);
  }, 60_000);

  it('leaves a factor the operator gave node on its command line alone', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=200'])).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent=200'])).toBeNull();
    expect(heapGrowthFlag(['--enable-source-maps'])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it('takes LLMGW_HEAP_GROWING_PERCENT, 0 meaning V8 decides, and names the variable when it is not a number', () => {
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '100' })).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '0' })).toBeNull();
    expect(heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '' })).toBe(
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    );
    expect(() => heapGrowthFlag([], { LLMGW_HEAP_GROWING_PERCENT: '1.5x' })).toThrow(
      /LLMGW_HEAP_GROWING_PERCENT must be a whole number.*"1\.5x"/,
    );
  });

  it('collects what booting left in the old generation, without a gc global in the process', async () => {
    const out = await runModule(`
      import { getHeapSpaceStatistics } from 'node:v8';
      import { collectBootGarbage } from ${JSON.stringify(HEAP_MODULE)};
      const oldUsed = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;
      // Boot-like garbage: large enough to be promoted, then dropped.
      let boot = Array.from({ length: 400000 }, (_, i) => ({ i, s: 'boot-' + i }));
      for (let n = 0; n < 3; n += 1) boot = boot.map((entry) => ({ ...entry }));
      boot = null;
      const before = oldUsed();
      collectBootGarbage();
      console.log(Math.round(before / 1048576), Math.round(oldUsed() / 1048576), typeof globalThis.gc);
    `);
    const [before, after, gcGlobal] = out.split(' ');
    expect(Number(before)).toBeGreaterThan(20);
    expect(Number(after)).toBeLessThan(Number(before) / 2);
    expect(gcGlobal).toBe('undefined');
  }, 60_000);
});

import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counterFamily, histogramFamily } from './counter-family.js';

/** Exposition lines of one registry, with the metric's name replaced so two registries compare. */
async function lines(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').map((line) => line.replaceAll(name, 'metric'));
}

const BUCKETS = [0.05, 0.1, 0.25, 1, 5];
// On a bound, between bounds, below the first, above the last, and zero.
const OBSERVED: Array<[string, string, number]> = [
  ['openai', 'true', 0.1],
  ['openai', 'true', 0.07],
  ['openai', 'false', 0.01],
  ['openai', 'false', 7],
  ['groq', 'false', 0],
  ['groq', 'false', 1],
  ['openai', 'true', 0.25],
];

describe('metric families kept in label-tree cells', () => {
  it('a histogram exports exactly what prom-client’s own Histogram exports for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const family = histogramFamily(ours, {
      name: 'ours_seconds',
      help: 'h',
      labelNames: ['provider', 'stream'],
      buckets: BUCKETS,
    });
    const reference = new Histogram({
      name: 'theirs_seconds',
      help: 'h',
      labelNames: ['provider', 'stream'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [provider, stream, value] of OBSERVED) {
      family.at2(provider, stream).observe(value);
      reference.observe({ provider, stream }, value);
    }
    const expected = await lines(theirs, 'theirs_seconds');
    expect(expected.some((line) => line.includes('le="+Inf"'))).toBe(true);
    expect(await lines(ours, 'ours_seconds')).toEqual(expected);
  });

  it('a counter exports exactly what prom-client’s own Counter exports, and keeps counting after a scrape', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const family = counterFamily(ours, { name: 'ours_total', help: 'c', labelNames: ['provider', 'reason'] });
    const reference = new Counter({
      name: 'theirs_total',
      help: 'c',
      labelNames: ['provider', 'reason'],
      registers: [theirs],
    });
    const bump = (provider: string, reason: string, by: number) => {
      family.at2(provider, reason).value += by;
      reference.inc({ provider, reason }, by);
    };
    bump('openai', 'ok', 3);
    bump('openai', 'rate_limited', 1);
    expect(await lines(ours, 'ours_total')).toEqual(await lines(theirs, 'theirs_total'));
    bump('openai', 'ok', 2);
    bump('groq', 'timeout', 1);
    const after = await lines(ours, 'ours_total');
    expect(after).toEqual(await lines(theirs, 'theirs_total'));
    expect(after).toContain('metric{provider="openai",reason="ok"} 5');
  });
});

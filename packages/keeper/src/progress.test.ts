import { describe, expect, it } from 'vitest';
import { progressReporter } from './progress.js';

describe('progressReporter', () => {
  it('reports each tenth of a large pass once', () => {
    const seen: number[] = [];
    const progress = progressReporter(({ percent }) => seen.push(percent));
    for (let done = 0; done <= 5000; done += 250) progress(done, 5000);
    expect(seen).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });
  it('stays quiet for a small pass', () => {
    const seen: number[] = [];
    const progress = progressReporter(({ percent }) => seen.push(percent));
    progress(0, 10);
    progress(10, 10);
    expect(seen).toEqual([]);
  });
});

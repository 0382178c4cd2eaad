import { describe, expect, it } from 'vitest';
import { derivedCache } from './derived.js';
import type { LlmgwConfig } from './schema.js';

// Only identity matters to the cache: two distinct objects stand for a config and its reload.
const config = {} as LlmgwConfig;
const reloaded = {} as LlmgwConfig;

describe('derivedCache', () => {
  it('keeps a value per config and key, and a reloaded config starts empty', () => {
    const cache = derivedCache<number>();
    expect(cache.set(config, 'a', 1)).toBe(1);
    expect(cache.get(config, 'a')).toBe(1);
    expect(cache.get(config, 'b')).toBeUndefined();
    expect(cache.get(reloaded, 'a')).toBeUndefined();
  });

  it('starts over once one config holds `limit` values', () => {
    const cache = derivedCache<number>(2);
    cache.set(config, 'a', 1);
    cache.set(config, 'b', 2);
    cache.set(config, 'c', 3);
    expect(cache.get(config, 'a')).toBeUndefined();
    expect(cache.get(config, 'c')).toBe(3);
  });
});

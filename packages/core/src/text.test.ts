import { describe, expect, it } from 'vitest';
import { withoutBom } from './text.js';

describe('withoutBom', () => {
  it('drops one byte-order mark at the start, and only there', () => {
    expect(withoutBom('\uFEFFkey')).toBe('key');
    expect(withoutBom('\uFEFF\uFEFFkey')).toBe('\uFEFFkey');
    expect(withoutBom('k\uFEFFey')).toBe('k\uFEFFey');
    expect(withoutBom('')).toBe('');
  });
});

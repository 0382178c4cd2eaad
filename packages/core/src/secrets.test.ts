import { describe, expect, it } from 'vitest';
import { fingerprintKey, maskKey } from './secrets.js';

describe('maskKey', () => {
  it('keeps the prefix and the last four characters only', () => {
    expect(maskKey('sk-abcdefghijklmnopqrstuvwxyza1b2')).toBe('sk-…a1b2');
    expect(maskKey('AIzaSyD-very-long-google-key-9x8y')).toBe('AIz…9x8y');
  });
  it('reveals nothing of a short secret', () => {
    expect(maskKey('abc123')).toBe('…');
  });
});

describe('fingerprintKey', () => {
  it('is stable and does not contain the key', () => {
    const key = 'sk-test-0123456789';
    expect(fingerprintKey(key)).toBe(fingerprintKey(key));
    expect(fingerprintKey(key)).not.toContain('0123456789');
    expect(fingerprintKey(key)).toHaveLength(64);
  });
});

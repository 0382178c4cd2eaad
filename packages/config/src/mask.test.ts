import { describe, expect, it } from 'vitest';
import { maskSecrets, maskUrlCredentials } from './mask.js';

describe('maskSecrets', () => {
  it('masks values under secret names and credentials in URLs, leaving the rest', () => {
    const masked = maskSecrets({
      gateway: { auth_tokens: ['tok-abcdefghijklmnop'], admin_tokens: ['adm-abcdefghijklmnop'] },
      providers: {
        p: {
          auth: 'bearer',
          max_tokens_default: 4096,
          headers: {
            Authorization: 'Bearer secret-value-123456',
            'x-api-key': 'key-value-123456',
            'X-Title': 'app',
          },
          proxy: 'http://user:hunter2-long@proxy:3128',
        },
      },
      database: { url: 'postgres://llmgw:dbpass-long@db:5432/x' },
    });
    const text = JSON.stringify(masked);
    for (const secret of [
      'tok-abcdefghijklmnop',
      'adm-abcdefghijklmnop',
      'secret-value-123456',
      'key-value-123456',
      'hunter2-long',
      'dbpass-long',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('"auth":"bearer"');
    expect(text).toContain('"max_tokens_default":4096');
    expect(text).toContain('"X-Title":"app"');
    expect(text).toContain('http://user:***@proxy:3128');
  });

  it('masks a user-only credential in a URL', () => {
    expect(maskUrlCredentials('https://token123@host/x')).toBe('https://***@host/x');
    expect(maskUrlCredentials('https://host/x@y')).toBe('https://host/x@y');
  });
});

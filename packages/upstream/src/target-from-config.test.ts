import { fileURLToPath } from 'node:url';
import { buildConfig } from '@llmgw/config';
import { describe, expect, it } from 'vitest';
import { upstreamTarget } from './target-from-config.js';

const key = { id: 7, secret: 'sk-test-secret-0001', pinnedProxyUrl: null };

describe('upstreamTarget', () => {
  it('maps a templated provider to its adapter, base URL and a direct route', () => {
    const config = buildConfig({ providers: { groq: {} } });
    const target = upstreamTarget(config, 'groq', key);
    expect(target.adapter.type).toBe('openai_like');
    expect(target.settings.baseUrl).toMatch(/^https:\/\/api\.groq\.com\//);
    expect(target.route).toEqual({ kind: 'direct' });
    expect(target.keyId).toBe('7');
  });

  it('sends a pool provider’s key through its pinned proxy and refuses to go direct without one', () => {
    const config = buildConfig({ providers: { groq: { proxy: 'pool:eu' } } });
    expect(upstreamTarget(config, 'groq', { ...key, pinnedProxyUrl: 'http://10.0.0.1:3128' }).route).toEqual({
      kind: 'proxy',
      url: 'http://10.0.0.1:3128',
    });
    expect(() => upstreamTarget(config, 'groq', key)).toThrow(/no healthy proxy/);
  });

  it('carries GigaChat OAuth settings and the CA file', () => {
    const caFile = fileURLToPath(new URL('../../http/src/__fixtures__/test-ca.pem', import.meta.url));
    const config = buildConfig({
      providers: { giga: { template: 'gigachat', ca_file: caFile } },
    });
    const target = upstreamTarget(config, 'giga', key);
    expect(target.settings.auth).toBe('oauth');
    expect(target.settings.oauth?.scope).toBe('GIGACHAT_API_PERS');
    expect(target.caFile).toBe(caFile);
  });
});

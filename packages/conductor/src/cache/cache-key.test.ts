import { describe, expect, it } from 'vitest';
import { cacheKey, canonicalJson, isDeterministic } from './cache-key.js';

const body = { model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'hi' }] };
const key = (overrides: Partial<Parameters<typeof cacheKey>[0]> = {}) =>
  cacheKey({ operation: 'chat', body, stream: false, onlyProvider: undefined, ...overrides });

describe('cache key', () => {
  it('sorts keys at every depth and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it('ignores who asks (user, metadata…) but not what is asked', () => {
    const base = key();
    expect(key({ body: { ...body, user: 'alice', metadata: { run: '7' }, store: true } })).toBe(base);
    expect(key({ body: { messages: body.messages, temperature: 0, model: 'gpt-4o-mini' } })).toBe(base);
    expect(key({ body: { ...body, max_tokens: 5 } })).not.toBe(base);
    expect(key({ body: { ...body, model: 'gpt-4o' } })).not.toBe(base);
    expect(key({ body: { ...body, stream_options: { include_usage: true } } })).toBe(base);
  });

  it('keys streams, provider restrictions and operations apart', () => {
    const base = key();
    expect(key({ stream: true })).not.toBe(base);
    expect(key({ stream: true, body: { ...body, stream_options: { include_usage: true } } })).not.toBe(
      key({ stream: true }),
    );
    expect(key({ onlyProvider: 'groq' })).not.toBe(base);
    expect(key({ operation: 'embeddings' })).not.toBe(base);
  });

  it('calls a chat request deterministic only with temperature 0 or an integer seed; embeddings always', () => {
    expect(isDeterministic({ operation: 'chat', body: { temperature: 0 } })).toBe(true);
    expect(isDeterministic({ operation: 'chat', body: { temperature: 0.7, seed: 42 } })).toBe(true);
    expect(isDeterministic({ operation: 'chat', body: {} })).toBe(false);
    expect(isDeterministic({ operation: 'chat', body: { temperature: 0.2, seed: '42' } })).toBe(false);
    expect(isDeterministic({ operation: 'embeddings', body: {} })).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { conversationKey } from './conversation-key.js';

const system = { role: 'system', content: 'You are terse.' };

describe('conversationKey', () => {
  it('gives every turn of a conversation the key of its system and first user message', () => {
    const first = conversationKey({ messages: [system, { role: 'user', content: 'hi' }] });
    const third = conversationKey({
      messages: [
        system,
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'more' },
      ],
    });
    expect(first?.hash).toBe(third?.hash);
    expect(first?.continuation).toBe(false);
    expect(third?.continuation).toBe(true);
  });

  it('tells conversations apart by their system prompt or first user message', () => {
    const a = conversationKey({ messages: [system, { role: 'user', content: 'hi' }] });
    const b = conversationKey({ messages: [system, { role: 'user', content: 'bye' }] });
    const c = conversationKey({ messages: [{ role: 'user', content: 'hi' }] });
    expect(new Set([a?.hash, b?.hash, c?.hash]).size).toBe(3);
  });

  it('uses prompt_cache_key, then user, over the messages', () => {
    const named = conversationKey({
      prompt_cache_key: 'k1',
      user: 'u1',
      messages: [{ role: 'user', content: 'x' }],
    });
    const sameName = conversationKey({ prompt_cache_key: 'k1', messages: [{ role: 'user', content: 'y' }] });
    const byUser = conversationKey({ user: 'u1', messages: [{ role: 'user', content: 'z' }] });
    expect(named?.hash).toBe(sameName?.hash);
    expect(named?.explicit).toBe(true);
    expect(byUser?.hash).not.toBe(named?.hash);
    expect(byUser?.explicit).toBe(true);
  });

  it('has no key without a user message to hash', () => {
    expect(conversationKey({ messages: [system] })).toBeNull();
    expect(conversationKey({ input: 'embed me' })).toBeNull();
  });
});

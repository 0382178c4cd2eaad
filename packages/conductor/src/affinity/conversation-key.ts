import { hash } from 'node:crypto';

/** What identifies a conversation for prompt-cache affinity (together with provider and model). */
export interface ConversationKey {
  /** sha256 (base64url) of the caller's `prompt_cache_key` or `user`, else of the prefix messages. */
  hash: string;
  /** The caller named the conversation itself (`prompt_cache_key` / `user`). */
  explicit: boolean;
  /** The messages already hold an assistant (or tool) turn: a later turn of a conversation. */
  continuation: boolean;
}

/**
 * The conversation a chat request belongs to: the caller's `prompt_cache_key` or `user` when given,
 * else the system messages and the first user message (the prefix every later turn repeats, which is
 * what the provider caches). Null when there is nothing to hash (no user message).
 */
export function conversationKey(body: Record<string, unknown>): ConversationKey | null {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const continuation = messages.some((message) => {
    const role = roleOf(message);
    return role === 'assistant' || role === 'tool';
  });
  const named = nonEmptyString(body.prompt_cache_key);
  if (named !== null) return { hash: digest(`k\u0000${named}`), explicit: true, continuation };
  const user = nonEmptyString(body.user);
  if (user !== null) return { hash: digest(`u\u0000${user}`), explicit: true, continuation };
  const prefix: unknown[] = [];
  for (const message of messages) {
    const role = roleOf(message);
    // Only the role and content: `name` or client-side ids do not change what the provider caches.
    prefix.push([role, (message as { content?: unknown }).content ?? null]);
    if (role === 'user')
      return { hash: digest(`m\u0000${JSON.stringify(prefix)}`), explicit: false, continuation };
  }
  return null;
}

function roleOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { role?: unknown }).role : undefined;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function digest(text: string): string {
  // One-shot: no Hash object per request (0.55 µs instead of 1.4 µs for a short prefix).
  return hash('sha256', text, 'base64url');
}

/** What every wire format needs to render a successful answer; computed once per request. */
export interface ReplyPlan {
  text: string;
  /** The text split into stream chunks (words with their trailing space). */
  pieces: string[];
  promptTokens: number;
  completionTokens: number;
}

/** A rough, deterministic token count (~4 characters per token) so usage varies with input size. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

const WORD = /\S+\s*/g;

export function planReply(
  promptText: string,
  lastUserText: string,
  reply: string | undefined,
  usage: { promptTokens?: number; completionTokens?: number } | undefined,
): ReplyPlan {
  const text = reply ?? (lastUserText === '' ? 'ok' : `ok: ${lastUserText}`);
  const pieces = text.match(WORD) ?? [text];
  return {
    text,
    pieces,
    promptTokens: usage?.promptTokens ?? countTokens(promptText),
    completionTokens: usage?.completionTokens ?? countTokens(text),
  };
}

/**
 * A deterministic embedding: the same text always maps to the same unit-length vector, different
 * texts to different ones (a hash of the text seeds a small PRNG), without any real model.
 */
export function embed(text: string, dimensions: number): number[] {
  let seed = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    seed = Math.imul(seed ^ text.charCodeAt(index), 0x01000193);
  }
  const vector: number[] = [];
  for (let slot = 0; slot < dimensions; slot++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    vector.push((seed >>> 0) / 0xffffffff - 0.5);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => Math.round((value / norm) * 1e6) / 1e6);
}

/** Pulls plain text out of the content shapes the four formats use (string, parts, blocks). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content !== null && typeof content === 'object') {
    const record = content as Record<string, unknown>;
    if (typeof record.text === 'string') return record.text;
    if ('content' in record) return textOf(record.content);
    if ('parts' in record) return textOf(record.parts);
  }
  return '';
}

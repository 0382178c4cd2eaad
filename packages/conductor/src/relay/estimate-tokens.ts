import type { RelayInput } from '../contracts.js';

// Close enough for a reservation: the pool reconciles with the actual usage after the call.
const CHARS_PER_TOKEN = 4;
// A completion with no max_tokens: reserving the model's whole window would starve TPM-limited keys.
const DEFAULT_COMPLETION_TOKENS = 512;

/** Prompt + completion tokens to reserve against TPM, without serialising the body again. */
export function estimateTokens(input: RelayInput): number {
  const { body } = input;
  if (input.operation === 'embeddings') return Math.ceil(textLength(body.input) / CHARS_PER_TOKEN) + 1;
  const prompt = Array.isArray(body.messages)
    ? body.messages.reduce<number>((sum, message) => sum + messageLength(message), 0)
    : 0;
  const completion =
    positive(body.max_completion_tokens) ?? positive(body.max_tokens) ?? DEFAULT_COMPLETION_TOKENS;
  return Math.ceil(prompt / CHARS_PER_TOKEN) + completion;
}

function messageLength(message: unknown): number {
  if (typeof message !== 'object' || message === null) return 0;
  return textLength(Reflect.get(message, 'content'));
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (!Array.isArray(value)) return 0;
  let length = 0;
  for (const part of value) {
    if (typeof part === 'string') length += part.length;
    else if (typeof part === 'object' && part !== null) length += textLength(Reflect.get(part, 'text'));
  }
  return length;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

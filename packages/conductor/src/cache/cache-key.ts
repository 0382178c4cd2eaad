import { createHash } from 'node:crypto';

export interface CacheKeyInput {
  operation: 'chat' | 'embeddings';
  body: Record<string, unknown>;
  stream: boolean;
  /** `X-LLM-Provider`: a restriction to one provider may change the answer. */
  onlyProvider: string | undefined;
}

/**
 * Fields that say who asks or how the provider should file the request, never what the answer is:
 * two requests differing only in these share an entry. `stream` is not among the hashed fields but
 * keys the entry separately, so a stream is only replayed to a stream request and JSON to JSON.
 */
const IGNORED_FIELDS: ReadonlySet<string> = new Set([
  'stream',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'metadata',
  'store',
]);

/**
 * Whether an answer is worth repeating: embeddings always are; a chat completion only when sampling
 * is pinned (temperature 0, or a seed the provider samples by).
 */
export function isDeterministic(input: Pick<CacheKeyInput, 'operation' | 'body'>): boolean {
  if (input.operation === 'embeddings') return true;
  const { temperature, seed } = input.body;
  return temperature === 0 || (typeof seed === 'number' && Number.isInteger(seed));
}

/** The entry's key: sha256 over the operation, the stream flag, the provider restriction and the body. */
export function cacheKey(input: CacheKeyInput): string {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.body)) {
    if (IGNORED_FIELDS.has(name)) continue;
    // stream_options only shapes a stream; on a JSON request it changes nothing.
    if (name === 'stream_options' && !input.stream) continue;
    fields[name] = value;
  }
  const head = `${input.operation}\n${input.stream ? 'sse' : 'json'}\n${input.onlyProvider ?? ''}\n`;
  return createHash('sha256').update(head).update(canonicalJson(fields)).digest('hex');
}

/** JSON with object keys sorted at every depth: `{"b":1,"a":2}` and `{"a":2,"b":1}` are one request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

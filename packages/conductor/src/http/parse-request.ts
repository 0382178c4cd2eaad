import type { ClientError } from '../contracts.js';
import { invalidRequest } from './client-error.js';
import type { Operation } from './resolve-tiers.js';

export interface ParsedRequest {
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
}

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; error: ClientError };

/**
 * The body as an OpenAI request: JSON, an object, and the fields the gateway itself needs. Everything
 * else is the provider's to judge, so a new OpenAI parameter does not need a gateway release.
 */
export function parseRequest(text: string, operation: Operation): ParseResult {
  if (text.trim() === '') return fail('The request body is empty: send a JSON object.', 'invalid_json');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail(`The request body is not valid JSON: ${detail}`, 'invalid_json');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(`The request body must be a JSON object, got ${describe(body)}.`, 'invalid_json');
  }
  const fields = body as Record<string, unknown>;

  const model = fields.model;
  if (model === undefined) return missing('model', 'e.g. "gpt-4o-mini", "groq/llama-3.3-70b-versatile"');
  if (typeof model !== 'string' || model.trim() === '')
    return wrongType('model', 'a non-empty string', model);

  if (operation === 'chat') {
    const { messages } = fields;
    if (messages === undefined) return missing('messages', 'an array of {role, content}');
    if (!Array.isArray(messages) || messages.length === 0)
      return wrongType('messages', 'a non-empty array', messages);
  } else {
    const { input } = fields;
    if (input === undefined) return missing('input', 'a string or an array of strings');
    if (typeof input !== 'string' && !(Array.isArray(input) && input.length > 0))
      return wrongType('input', 'a string or a non-empty array', input);
  }

  const stream = fields.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    return wrongType('stream', 'a boolean', stream);
  if (operation === 'embeddings' && stream === true)
    return fail('Embeddings cannot be streamed: drop "stream".', 'invalid_value');

  return { ok: true, request: { body: fields, model: model.trim(), stream: stream === true } };
}

function missing(field: string, example: string): ParseResult {
  return fail(`Missing required parameter "${field}" (${example}).`, 'missing_required_parameter');
}

function wrongType(field: string, expected: string, value: unknown): ParseResult {
  return fail(`Invalid "${field}": expected ${expected}, got ${describe(value)}.`, 'invalid_type');
}

function fail(message: string, code: string): ParseResult {
  return { ok: false, error: invalidRequest(message, code) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

import type { Usage } from '../openai-types.js';
import { isRecord, type JsonRecord, numberField, recordField } from '../shared/json.js';

/** Responses usage in chat terms, which limits and attempt records count in. */
export function responsesUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const usage: JsonRecord = value;
  const input = numberField(usage, 'input_tokens');
  const output = numberField(usage, 'output_tokens');
  if (input === undefined && output === undefined) return undefined;
  const cached = numberField(recordField(usage, 'input_tokens_details'), 'cached_tokens');
  const reasoning = numberField(recordField(usage, 'output_tokens_details'), 'reasoning_tokens');
  return {
    prompt_tokens: input ?? 0,
    completion_tokens: output ?? 0,
    total_tokens: numberField(usage, 'total_tokens') ?? (input ?? 0) + (output ?? 0),
    ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
    ...(reasoning === undefined ? {} : { completion_tokens_details: { reasoning_tokens: reasoning } }),
  };
}

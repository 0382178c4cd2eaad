import { LlmgwError } from '@llmgw/core';
import type { ChatCompletion, FinishReason, Usage } from '../openai-types.js';
import {
  arrayField,
  type JsonRecord,
  numberField,
  parseJsonObject,
  recordField,
  recordsOf,
  stringField,
} from '../shared/json.js';

/** Anthropic stop reasons in OpenAI's vocabulary (wire-formats §6.1). */
export function mapStopReason(reason: string | undefined | null): FinishReason | null {
  switch (reason) {
    case undefined:
    case null:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** `input_tokens` excludes cache reads and writes; OpenAI's `prompt_tokens` counts them all. */
export function mapUsage(usage: JsonRecord | undefined, outputTokens?: number): Usage {
  const input = numberField(usage, 'input_tokens') ?? 0;
  const cacheWrite = numberField(usage, 'cache_creation_input_tokens') ?? 0;
  const cacheRead = numberField(usage, 'cache_read_input_tokens') ?? 0;
  const prompt = input + cacheWrite + cacheRead;
  const completion = outputTokens ?? numberField(usage, 'output_tokens') ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}

export function parseChatResponse(
  status: number,
  _headers: Record<string, string>,
  bodyText: string,
): ChatCompletion {
  const body = parseJsonObject(bodyText, 'message');
  if (stringField(body, 'type') !== 'message') {
    throw new LlmgwError('upstream answer is not a message', { reason: 'server_error', status });
  }
  const text = recordsOf(arrayField(body, 'content'))
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => String(block.text))
    .join('');
  return {
    id: stringField(body, 'id') ?? '',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: stringField(body, 'model') ?? '',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text },
        logprobs: null,
        finish_reason: mapStopReason(stringField(body, 'stop_reason')) ?? 'stop',
      },
    ],
    usage: mapUsage(recordField(body, 'usage')),
  };
}

export function parseModelsResponse(bodyText: string): string[] {
  const body = parseJsonObject(bodyText, 'models list');
  return recordsOf(arrayField(body, 'data')).flatMap((model) => stringField(model, 'id') ?? []);
}

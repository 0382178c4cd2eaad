import { LlmgwError } from '@llmgw/core';
import type { ChatCompletion, EmbeddingsResponse } from '../openai-types.js';
import {
  arrayField,
  isRecord,
  keepVerbatim,
  parseJsonObject,
  recordsOf,
  stringField,
} from '../shared/json.js';
import { classifyFailure } from './errors.js';

/**
 * Passthrough with guard rails: fields the gateway relies on are checked or filled, everything else
 * (reasoning_content, x_groq, provider extras) travels untouched. Leading keep-alive blank lines
 * (DeepSeek) are whitespace to JSON.parse.
 */
export function parseChatResponse(
  status: number,
  _headers: Record<string, string>,
  bodyText: string,
): ChatCompletion {
  const body = parseJsonObject(bodyText, 'chat completion');
  if (isRecord(body.error)) {
    // OpenRouter can answer 200 with an error object when the model failed after routing.
    const verdict = classifyFailure({ status, body: bodyText }, Date.now());
    throw new LlmgwError(verdict.message, { reason: verdict.reason, status });
  }
  if (!Array.isArray(body.choices)) {
    throw new LlmgwError('upstream chat completion has no choices', { reason: 'server_error', status });
  }
  if (isComplete(body) && bodyText.charCodeAt(0) === OPEN_BRACE) {
    // Nothing to fill in: the client gets the upstream's own bytes (no second JSON.stringify).
    return keepVerbatim(body as unknown as ChatCompletion, bodyText);
  }
  return {
    ...body,
    id: stringField(body, 'id') ?? '',
    object: 'chat.completion',
    created: typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000),
    model: stringField(body, 'model') ?? '',
    choices: body.choices as ChatCompletion['choices'],
  };
}

const OPEN_BRACE = 0x7b;

/** Every field the repair below would fill is already there, with the right type. */
function isComplete(body: Record<string, unknown>): boolean {
  return (
    typeof body.id === 'string' &&
    body.object === 'chat.completion' &&
    typeof body.created === 'number' &&
    typeof body.model === 'string'
  );
}

export function parseEmbeddingsResponse(bodyText: string, model: string): EmbeddingsResponse {
  const body = parseJsonObject(bodyText, 'embeddings response');
  if (!Array.isArray(body.data)) {
    throw new LlmgwError('upstream embeddings response has no data', { reason: 'server_error' });
  }
  const usage = isRecord(body.usage) ? body.usage : {};
  const promptTokens = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
  return {
    object: 'list',
    data: body.data as EmbeddingsResponse['data'],
    model: stringField(body, 'model') ?? model,
    usage: {
      prompt_tokens: promptTokens,
      total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : promptTokens,
    },
  };
}

export function parseModelsResponse(bodyText: string): string[] {
  const body = parseJsonObject(bodyText, 'models list');
  return recordsOf(arrayField(body, 'data')).flatMap((model) => {
    const id = stringField(model, 'id');
    return id ? [id] : [];
  });
}

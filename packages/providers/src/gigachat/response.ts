import { LlmgwError } from '@llmgw/core';
import type {
  AssistantMessage,
  ChatCompletion,
  EmbeddingsResponse,
  FinishReason,
  ToolCall,
  Usage,
} from '../openai-types.js';
import {
  arrayField,
  type JsonRecord,
  numberField,
  parseJsonObject,
  recordField,
  recordsOf,
  stringField,
} from '../shared/json.js';
import { stableToolCallId } from '../shared/tools.js';

export interface GigachatToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * `{access_token, expires_at}` with `expires_at` in ms; the password flow's `{tok, exp}` too. A
 * seconds value is accepted defensively: mistaking it for ms would make every token look expired.
 */
export function parseTokenResponse(bodyText: string): GigachatToken {
  const body = parseJsonObject(bodyText, 'token response');
  const accessToken = stringField(body, 'access_token') ?? stringField(body, 'tok');
  const expires = numberField(body, 'expires_at') ?? numberField(body, 'exp');
  if (!accessToken || expires === undefined) {
    throw new LlmgwError('upstream token response lacks access_token or expires_at', {
      reason: 'server_error',
    });
  }
  return { accessToken, expiresAt: expires < 1e12 ? expires * 1000 : expires };
}

/** GigaChat finish reasons in OpenAI's vocabulary (`blacklist` is its content filter). */
export function mapFinishReason(reason: string | undefined): FinishReason | null {
  if (reason === undefined) return null;
  if (reason === 'length') return 'length';
  if (reason === 'function_call') return 'tool_calls';
  if (reason === 'blacklist') return 'content_filter';
  return 'stop';
}

/** `precached_prompt_tokens` is the cached part of the prompt, OpenAI's `cached_tokens`. */
export function mapUsage(usage: JsonRecord | undefined): Usage | undefined {
  if (!usage) return undefined;
  const prompt = numberField(usage, 'prompt_tokens') ?? 0;
  const completion = numberField(usage, 'completion_tokens') ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: numberField(usage, 'total_tokens') ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: numberField(usage, 'precached_prompt_tokens') ?? 0 },
  };
}

/**
 * GigaChat's one `function_call` (arguments an object, no id) as an OpenAI tool call; the id is derived
 * from the call itself, so the same call gets the same id streamed or not.
 */
export function mapFunctionCall(call: JsonRecord | undefined): ToolCall | undefined {
  const name = stringField(call, 'name');
  if (!call || !name) return undefined;
  const args = recordField(call, 'arguments') ?? {};
  return {
    id: stableToolCallId(name, args, 0),
    type: 'function',
    function: { name, arguments: JSON.stringify(args) },
  };
}

function mapMessage(message: JsonRecord | undefined): AssistantMessage {
  const call = mapFunctionCall(recordField(message, 'function_call'));
  const content = stringField(message, 'content') ?? '';
  const out: AssistantMessage = { role: 'assistant', content: call && content === '' ? null : content };
  const reasoning = stringField(message, 'reasoning_content');
  if (reasoning) out.reasoning_content = reasoning;
  if (call) out.tool_calls = [call];
  return out;
}

/** GigaChat answers carry no `id`; the upstream request id (or a fresh one) stands in. */
export function parseChatResponse(
  status: number,
  headers: Record<string, string>,
  bodyText: string,
): ChatCompletion {
  const body = parseJsonObject(bodyText, 'chat completion');
  const choices = recordsOf(arrayField(body, 'choices'));
  if (choices.length === 0) {
    throw new LlmgwError('upstream chat completion has no choices', { reason: 'server_error', status });
  }
  const completion: ChatCompletion = {
    id: `chatcmpl-${headers['x-request-id'] ?? crypto.randomUUID()}`,
    object: 'chat.completion',
    created: numberField(body, 'created') ?? Math.floor(Date.now() / 1000),
    model: stringField(body, 'model') ?? '',
    choices: choices.map((choice, position) => ({
      index: numberField(choice, 'index') ?? position,
      message: mapMessage(recordField(choice, 'message')),
      logprobs: null,
      finish_reason: mapFinishReason(stringField(choice, 'finish_reason')) ?? 'stop',
    })),
  };
  const usage = mapUsage(recordField(body, 'usage'));
  if (usage) completion.usage = usage;
  return completion;
}

/** Usage comes per item and there is no top-level usage; the sum is what the caller is billed. */
export function parseEmbeddingsResponse(bodyText: string, model: string): EmbeddingsResponse {
  const body = parseJsonObject(bodyText, 'embeddings response');
  const items = recordsOf(arrayField(body, 'data'));
  const tokens = items.reduce(
    (sum, item) => sum + (numberField(recordField(item, 'usage'), 'prompt_tokens') ?? 0),
    0,
  );
  return {
    object: 'list',
    data: items.map((item, position) => ({
      object: 'embedding',
      index: numberField(item, 'index') ?? position,
      embedding: arrayField(item, 'embedding').filter((value): value is number => typeof value === 'number'),
    })),
    model: stringField(body, 'model') ?? model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export function parseModelsResponse(bodyText: string): string[] {
  const body = parseJsonObject(bodyText, 'models list');
  return recordsOf(arrayField(body, 'data')).flatMap((model) => stringField(model, 'id') ?? []);
}

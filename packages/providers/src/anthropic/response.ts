import { LlmgwError } from '@llmgw/core';
import type { AssistantMessage, ChatCompletion, FinishReason, ToolCall, Usage } from '../openai-types.js';
import {
  arrayField,
  type JsonRecord,
  numberField,
  parseJsonObject,
  recordField,
  recordsOf,
  stringField,
} from '../shared/json.js';
import { STRUCTURED_OUTPUT_TOOL } from './config.js';

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

/**
 * `input_tokens` excludes cache reads and writes; OpenAI's `prompt_tokens` counts them all. Thinking is
 * part of `output_tokens`; newer answers say how much in `output_tokens_details.thinking_tokens`.
 */
export function mapUsage(
  usage: JsonRecord | undefined,
  outputTokens?: number,
  thinkingTokens?: number,
): Usage {
  const input = numberField(usage, 'input_tokens') ?? 0;
  const cacheWrite = numberField(usage, 'cache_creation_input_tokens') ?? 0;
  const cacheRead = numberField(usage, 'cache_read_input_tokens') ?? 0;
  const prompt = input + cacheWrite + cacheRead;
  const completion = outputTokens ?? numberField(usage, 'output_tokens') ?? 0;
  const mapped: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  const thinking = thinkingTokens ?? thinkingTokensOf(usage);
  if (thinking !== undefined) mapped.completion_tokens_details = { reasoning_tokens: thinking };
  return mapped;
}

export function thinkingTokensOf(usage: JsonRecord | undefined): number | undefined {
  return numberField(recordField(usage, 'output_tokens_details'), 'thinking_tokens');
}

/**
 * Content blocks → OpenAI message fields: text is the content, thinking the `reasoning_content`
 * (redacted thinking is encrypted and left out), `tool_use` a tool call with JSON-string arguments;
 * the structured-output tool's input is the answer itself (see request.ts).
 */
export function mapContent(blocks: JsonRecord[]): { message: AssistantMessage; toolCalls: number } {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'thinking' && typeof block.thinking === 'string') reasoning += block.thinking;
    else if (block.type === 'tool_use') {
      const input = JSON.stringify(recordField(block, 'input') ?? {});
      const name = stringField(block, 'name') ?? '';
      if (name === STRUCTURED_OUTPUT_TOOL) text += input;
      else {
        toolCalls.push({
          id: stringField(block, 'id') ?? '',
          type: 'function',
          function: { name, arguments: input },
        });
      }
    }
  }
  const message: AssistantMessage = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return { message, toolCalls: toolCalls.length };
}

/** `tool_use` that was only the structured-output tool is a finished answer, not a call to make. */
export function finishReasonOf(
  stopReason: string | undefined | null,
  toolCalls: number,
): FinishReason | null {
  const finish = mapStopReason(stopReason);
  return finish === 'tool_calls' && toolCalls === 0 ? 'stop' : finish;
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
  const { message, toolCalls } = mapContent(recordsOf(arrayField(body, 'content')));
  return {
    id: stringField(body, 'id') ?? '',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: stringField(body, 'model') ?? '',
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReasonOf(stringField(body, 'stop_reason'), toolCalls) ?? 'stop',
      },
    ],
    usage: mapUsage(recordField(body, 'usage')),
  };
}

export function parseModelsResponse(bodyText: string): string[] {
  const body = parseJsonObject(bodyText, 'models list');
  return recordsOf(arrayField(body, 'data')).flatMap((model) => stringField(model, 'id') ?? []);
}

import { createOpenAiStreamHandler } from '../openai-like/stream.js';
import type { ChatCompletionChunk } from '../openai-types.js';
import { createEventStreamParser } from '../shared/event-stream.js';
import {
  arrayField,
  type JsonRecord,
  numberField,
  recordField,
  recordsOf,
  stringField,
} from '../shared/json.js';
import { splitFinish } from '../shared/split-finish.js';
import type { StreamContext, StreamParser } from '../types.js';
import { classifyFailure } from './errors.js';
import { mapFinishReason, mapFunctionCall, mapUsage } from './response.js';

/**
 * GigaChat streams the OpenAI way (`data:` events, `[DONE]`), but its chunks say
 * `object: "chat.completion"`, have no id, and put usage on the finishing chunk; they are rebuilt
 * as proper chunks with usage moved to its own trailing `choices: []` chunk, as OpenAI sends it.
 */
function mapChunk(raw: JsonRecord, ctx: Required<StreamContext>): ChatCompletionChunk[] {
  const base = {
    id: `chatcmpl-${ctx.requestId}`,
    object: 'chat.completion.chunk' as const,
    created: numberField(raw, 'created') ?? ctx.created,
    model: stringField(raw, 'model') ?? ctx.model,
  };
  const choices = recordsOf(arrayField(raw, 'choices')).map((choice, position) => {
    const delta = recordField(choice, 'delta');
    const content = stringField(delta, 'content');
    const reasoning = stringField(delta, 'reasoning_content');
    // The call arrives whole, in the finishing chunk: one tool_calls entry with all its arguments.
    const call = mapFunctionCall(recordField(delta, 'function_call'));
    return {
      index: numberField(choice, 'index') ?? position,
      delta: {
        ...(stringField(delta, 'role') === 'assistant' ? { role: 'assistant' as const } : {}),
        ...(content === undefined || (call && content === '') ? {} : { content }),
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(call ? { tool_calls: [{ index: 0, ...call }] } : {}),
      },
      logprobs: null,
      finish_reason: mapFinishReason(stringField(choice, 'finish_reason')),
    };
  });
  const chunks: ChatCompletionChunk[] = choices.length > 0 ? splitFinish({ ...base, choices }) : [];
  const usage = mapUsage(recordField(raw, 'usage'));
  if (usage) chunks.push({ ...base, choices: [], usage });
  return chunks;
}

export function createStreamParser(ctx: StreamContext): StreamParser {
  return createEventStreamParser(createOpenAiStreamHandler(ctx, { mapChunk }), classifyFailure);
}

import type { ChatCompletionChunk, FinishReason, Usage } from '../openai-types.js';
import { createEventStreamParser, type EventOutcome, malformedEvent } from '../shared/event-stream.js';
import { isRecord, type JsonRecord, numberField, recordField, stringField } from '../shared/json.js';
import type { SseEvent } from '../shared/sse.js';
import type { StreamContext, StreamParser } from '../types.js';
import { classifyFailure } from './errors.js';
import { mapStopReason, mapUsage } from './response.js';

/**
 * Messages stream events → OpenAI chunks: `message_start` opens the assistant turn, text deltas
 * become content, `message_delta` carries the finish reason and cumulative output tokens, and
 * `message_stop` is the terminator (then the usage chunk). `ping` and unknown events are ignored.
 */
export function createStreamParser(context: StreamContext): StreamParser {
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let id = context.requestId;
  let model = context.model;
  let inputUsage: JsonRecord | undefined;
  let outputTokens: number | undefined;
  let done = false;
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason | null) => ({
    id,
    object: 'chat.completion.chunk' as const,
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  const onEvent = (type: string, body: JsonRecord): ChatCompletionChunk[] => {
    if (type === 'message_start') {
      const message = recordField(body, 'message');
      id = stringField(message, 'id') ?? id;
      model = stringField(message, 'model') ?? model;
      inputUsage = recordField(message, 'usage');
      return [chunk({ role: 'assistant', content: '' }, null)];
    }
    if (type === 'content_block_delta') {
      const delta = recordField(body, 'delta');
      const text = stringField(delta, 'text');
      return stringField(delta, 'type') === 'text_delta' && text ? [chunk({ content: text }, null)] : [];
    }
    if (type === 'message_delta') {
      const usage = recordField(body, 'usage');
      outputTokens = numberField(usage, 'output_tokens') ?? outputTokens;
      // Newer API versions restate input counts here; the later statement wins.
      if (usage && numberField(usage, 'input_tokens') !== undefined) inputUsage = usage;
      const finish = mapStopReason(stringField(recordField(body, 'delta'), 'stop_reason'));
      return finish ? [chunk({}, finish)] : [];
    }
    if (type === 'message_stop') {
      done = true;
      const usage: Usage = mapUsage(inputUsage, outputTokens);
      return [{ id, object: 'chat.completion.chunk', created, model, choices: [], usage }];
    }
    return [];
  };

  const handler = {
    handle(event: SseEvent): EventOutcome {
      const data = event.data.trim();
      if (done || data === '') return [];
      let body: unknown;
      try {
        body = JSON.parse(data);
      } catch {
        return malformedEvent(data);
      }
      if (!isRecord(body)) return malformedEvent(data);
      const type = event.event ?? stringField(body, 'type') ?? '';
      if (type === 'error') return { failure: { body: data } };
      return onEvent(type, body);
    },
    finish: () => (done ? [] : undefined),
  };
  return createEventStreamParser(handler, classifyFailure);
}

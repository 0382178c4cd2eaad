import type { ChatCompletionChunk, FinishReason, Usage } from '../openai-types.js';
import { createEventStreamParser, type EventOutcome, malformedEvent } from '../shared/event-stream.js';
import { isRecord, type JsonRecord, numberField, recordField, stringField } from '../shared/json.js';
import type { SseEvent } from '../shared/sse.js';
import type { StreamContext, StreamParser } from '../types.js';
import { STRUCTURED_OUTPUT_TOOL } from './config.js';
import { classifyFailure } from './errors.js';
import { finishReasonOf, mapUsage, thinkingTokensOf } from './response.js';

/** What a content block index stands for while its deltas arrive. */
type OpenBlock = { kind: 'tool'; toolIndex: number } | { kind: 'json' } | { kind: 'other' };

/**
 * Messages stream events → OpenAI chunks: `message_start` opens the assistant turn, text deltas
 * become content, thinking deltas `reasoning_content`, a `tool_use` block start a `tool_calls` entry
 * (id, type, name; OpenAI's index counts tool calls, not blocks) whose `input_json_delta` pieces are its
 * `arguments`; the structured-output tool's input streams as content. `message_delta` carries the
 * finish reason and cumulative output tokens, and `message_stop` is the terminator (then the usage
 * chunk). `ping` and unknown events are ignored.
 */
export function createStreamParser(context: StreamContext): StreamParser {
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let id = context.requestId;
  let model = context.model;
  let inputUsage: JsonRecord | undefined;
  let outputTokens: number | undefined;
  let thinkingTokens: number | undefined;
  let done = false;
  const blocks = new Map<number, OpenBlock>();
  let toolCalls = 0;
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason | null) => ({
    id,
    object: 'chat.completion.chunk' as const,
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  const onBlockStart = (body: JsonRecord): ChatCompletionChunk[] => {
    const index = numberField(body, 'index') ?? -1;
    const block = recordField(body, 'content_block');
    if (stringField(block, 'type') !== 'tool_use') {
      blocks.set(index, { kind: 'other' });
      return [];
    }
    const name = stringField(block, 'name') ?? '';
    if (name === STRUCTURED_OUTPUT_TOOL) {
      blocks.set(index, { kind: 'json' });
      return [];
    }
    const toolIndex = toolCalls;
    toolCalls += 1;
    blocks.set(index, { kind: 'tool', toolIndex });
    const id = stringField(block, 'id') ?? '';
    return [
      chunk(
        { tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }] },
        null,
      ),
    ];
  };

  const onBlockDelta = (body: JsonRecord): ChatCompletionChunk[] => {
    const delta = recordField(body, 'delta');
    const kind = stringField(delta, 'type');
    if (kind === 'text_delta') {
      const text = stringField(delta, 'text');
      return text ? [chunk({ content: text }, null)] : [];
    }
    if (kind === 'thinking_delta') {
      const thinking = stringField(delta, 'thinking');
      return thinking ? [chunk({ reasoning_content: thinking }, null)] : [];
    }
    if (kind !== 'input_json_delta') return [];
    const piece = stringField(delta, 'partial_json');
    const block = blocks.get(numberField(body, 'index') ?? -1);
    if (!piece || block === undefined) return [];
    if (block.kind === 'json') return [chunk({ content: piece }, null)];
    if (block.kind !== 'tool') return [];
    return [chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: piece } }] }, null)];
  };

  const onEvent = (type: string, body: JsonRecord): ChatCompletionChunk[] => {
    if (type === 'message_start') {
      const message = recordField(body, 'message');
      id = stringField(message, 'id') ?? id;
      model = stringField(message, 'model') ?? model;
      inputUsage = recordField(message, 'usage');
      return [chunk({ role: 'assistant', content: '' }, null)];
    }
    if (type === 'content_block_start') return onBlockStart(body);
    if (type === 'content_block_delta') return onBlockDelta(body);
    if (type === 'message_delta') {
      const usage = recordField(body, 'usage');
      outputTokens = numberField(usage, 'output_tokens') ?? outputTokens;
      thinkingTokens = thinkingTokensOf(usage) ?? thinkingTokens;
      // Newer API versions restate input counts here; the later statement wins.
      if (usage && numberField(usage, 'input_tokens') !== undefined) inputUsage = usage;
      const finish = finishReasonOf(stringField(recordField(body, 'delta'), 'stop_reason'), toolCalls);
      return finish ? [chunk({}, finish)] : [];
    }
    if (type === 'message_stop') {
      done = true;
      const usage: Usage = mapUsage(inputUsage, outputTokens, thinkingTokens);
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

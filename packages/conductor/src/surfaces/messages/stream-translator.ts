import type { ChatCompletionChunk, Usage } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';
import { newId } from '../shared/ids.js';
import type { ChatStreamTranslator, StreamFailure, ToolCallFragment } from '../shared/translate-stream.js';
import { anthropicErrorBody } from './errors.js';
import { mapUsage, messageShell, stopReasonOf } from './message-object.js';

interface Block {
  index: number;
  kind: 'text' | 'thinking' | 'tool_use';
  stopped: boolean;
}

/**
 * Chat chunks → Anthropic's stream: `message_start`, `ping`, then per block `content_block_start`,
 * its deltas (`text_delta`, `thinking_delta`, `input_json_delta`) and `content_block_stop`, and
 * `message_delta` (stop reason, usage) and `message_stop`. Blocks run one after another, as Anthropic
 * sends them; a late argument fragment for an earlier tool call (a provider interleaving parallel
 * calls) is still sent to its block rather than lost.
 */
export function createMessagesStreamTranslator(requestedModel: string): ChatStreamTranslator {
  const id = newId('msg_');
  let model = requestedModel;
  let started = false;
  let nextIndex = 0;
  let current: Block | undefined;
  const tools = new Map<number, Block>();
  let finishReason: string | null = null;
  let usage: Usage | null = null;

  const event = (type: string, payload: Fields): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

  const start = (): string => {
    if (started) return '';
    started = true;
    return (
      event('message_start', { message: messageShell(id, model, [], mapUsage(null)) }) + event('ping', {})
    );
  };

  const stop = (block: Block | undefined): string => {
    if (block === undefined || block.stopped) return '';
    block.stopped = true;
    return event('content_block_stop', { index: block.index });
  };

  const open = (kind: Block['kind'], contentBlock: Fields): { out: string; block: Block } => {
    const out = stop(current);
    const block: Block = { index: nextIndex++, kind, stopped: false };
    current = block;
    return {
      out: out + event('content_block_start', { index: block.index, content_block: contentBlock }),
      block,
    };
  };

  const textDelta = (kind: 'text' | 'thinking', fragment: string): string => {
    let out = '';
    let block = current;
    if (block?.kind !== kind || block.stopped) {
      const opened = open(
        kind,
        kind === 'text'
          ? { type: 'text', text: '', citations: null }
          : { type: 'thinking', thinking: '', signature: '' },
      );
      out += opened.out;
      block = opened.block;
    }
    const delta =
      kind === 'text'
        ? { type: 'text_delta', text: fragment }
        : { type: 'thinking_delta', thinking: fragment };
    return out + event('content_block_delta', { index: block.index, delta });
  };

  const toolDelta = (delta: ToolCallFragment): string => {
    let out = '';
    let block = tools.get(delta.index);
    if (block === undefined) {
      const opened = open('tool_use', {
        type: 'tool_use',
        id: delta.id || newId('toolu_'),
        name: delta.function?.name ?? '',
        input: {},
      });
      out += opened.out;
      block = opened.block;
      tools.set(delta.index, block);
    }
    const fragment = delta.function?.arguments;
    if (typeof fragment === 'string' && fragment !== '') {
      out += event('content_block_delta', {
        index: block.index,
        delta: { type: 'input_json_delta', partial_json: fragment },
      });
    }
    return out;
  };

  return {
    start: () => '',
    chunk(chunk: ChatCompletionChunk) {
      if (!started && typeof chunk.model === 'string' && chunk.model !== '') model = chunk.model;
      let out = start();
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice === undefined) return out;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta ?? {};
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
        out += textDelta('thinking', delta.reasoning_content);
      }
      if (typeof delta.content === 'string' && delta.content !== '') out += textDelta('text', delta.content);
      for (const call of delta.tool_calls ?? []) out += toolDelta(call);
      return out;
    },
    done() {
      let out = start() + stop(current);
      const final = mapUsage(usage);
      out += event('message_delta', {
        delta: { stop_reason: stopReasonOf(finishReason), stop_sequence: null },
        usage: {
          input_tokens: final.input_tokens,
          output_tokens: final.output_tokens,
          cache_read_input_tokens: final.cache_read_input_tokens,
        },
      });
      return out + event('message_stop', {});
    },
    fail(failure: StreamFailure) {
      return `event: error\ndata: ${anthropicErrorBody(streamErrorType(failure), failure.message)}\n\n`;
    },
  };
}

function streamErrorType(failure: StreamFailure): string {
  if (failure.code === 'rate_limited' || failure.code === 'no_quota') return 'rate_limit_error';
  if (failure.code === 'request_timeout' || failure.code === 'timeout') return 'timeout_error';
  if (failure.code === 'server_error' || failure.code === 'model_unavailable') return 'overloaded_error';
  return 'api_error';
}

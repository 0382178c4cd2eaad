import type { Usage } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';
import { newId } from '../shared/ids.js';
import type { ChatStreamTranslator, StreamFailure, ToolCallFragment } from '../shared/translate-stream.js';
import type { ResponseEcho } from './request-to-chat.js';
import { mapUsage, nowSeconds, responseObject, statusOf } from './response-object.js';

interface OpenText {
  kind: 'message' | 'reasoning';
  outputIndex: number;
  id: string;
  text: string;
}

interface OpenCall {
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  args: string;
  done: boolean;
}

/**
 * Chat chunks → the Responses API's typed events, in the order the `openai` SDK's ResponseStream
 * accumulates them: `response.created`, `response.in_progress`, then per output item `added` → its
 * parts and deltas → `done`, and `response.completed` (or `incomplete`/`failed`) with the whole
 * Response. One message or reasoning item is open at a time; function calls stay open until the
 * end, so a provider that interleaves parallel calls' arguments still lands every fragment.
 */
export function createResponsesStreamTranslator(
  echo: ResponseEcho,
  requestedModel: string,
): ChatStreamTranslator {
  const id = newId('resp_');
  const createdAt = nowSeconds();
  let model = requestedModel;
  let sequence = 0;
  const output: Fields[] = [];
  let open: OpenText | undefined;
  const calls = new Map<number, OpenCall>();
  let finishReason: string | null = null;
  let usage: Usage | null = null;

  const event = (type: string, payload: Fields): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: sequence++ })}\n\n`;

  const snapshot = (
    status: 'in_progress' | 'completed' | 'incomplete' | 'failed',
    error: Fields['error'] = null,
  ) => {
    const state = statusOf(finishReason);
    return responseObject(
      {
        id,
        createdAt,
        model,
        status,
        output,
        usage: status === 'in_progress' ? null : mapUsage(usage),
        incompleteReason: status === 'incomplete' ? state.reason : null,
        error: (error as { code: string; message: string } | null) ?? null,
      },
      echo,
    );
  };

  const textItem = (item: OpenText, status: string): Fields =>
    item.kind === 'message'
      ? {
          id: item.id,
          type: 'message',
          role: 'assistant',
          status,
          content: status === 'in_progress' ? [] : [textPart(item)],
        }
      : {
          id: item.id,
          type: 'reasoning',
          summary: [],
          content: status === 'in_progress' ? [] : [textPart(item)],
          status,
        };

  const textPart = (item: OpenText): Fields =>
    item.kind === 'message'
      ? { type: 'output_text', text: item.text, annotations: [], logprobs: [] }
      : { type: 'reasoning_text', text: item.text };

  const openText = (kind: OpenText['kind']): string => {
    if (open?.kind === kind) return '';
    let out = closeText();
    const item: OpenText = {
      kind,
      outputIndex: output.length,
      id: newId(kind === 'message' ? 'msg_' : 'rs_'),
      text: '',
    };
    open = item;
    const added = textItem(item, 'in_progress');
    output.push(added);
    out += event('response.output_item.added', { output_index: item.outputIndex, item: added });
    out += event('response.content_part.added', {
      item_id: item.id,
      output_index: item.outputIndex,
      content_index: 0,
      part:
        kind === 'message'
          ? { type: 'output_text', text: '', annotations: [], logprobs: [] }
          : { type: 'reasoning_text', text: '' },
    });
    return out;
  };

  const closeText = (): string => {
    const item = open;
    if (item === undefined) return '';
    open = undefined;
    const where = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
    let out =
      item.kind === 'message'
        ? event('response.output_text.done', { ...where, text: item.text, logprobs: [] })
        : event('response.reasoning_text.done', { ...where, text: item.text });
    out += event('response.content_part.done', { ...where, part: textPart(item) });
    const done = textItem(item, 'completed');
    output[item.outputIndex] = done;
    out += event('response.output_item.done', { output_index: item.outputIndex, item: done });
    return out;
  };

  const callItem = (call: OpenCall, status: string): Fields => ({
    id: call.id,
    type: 'function_call',
    call_id: call.callId,
    name: call.name,
    arguments: status === 'in_progress' ? '' : call.args,
    status,
  });

  const closeCalls = (): string => {
    let out = '';
    for (const call of calls.values()) {
      if (call.done) continue;
      call.done = true;
      out += event('response.function_call_arguments.done', {
        item_id: call.id,
        output_index: call.outputIndex,
        name: call.name,
        arguments: call.args,
      });
      const done = callItem(call, 'completed');
      output[call.outputIndex] = done;
      out += event('response.output_item.done', { output_index: call.outputIndex, item: done });
    }
    return out;
  };

  const toolDelta = (delta: ToolCallFragment) => {
    let out = '';
    let call = calls.get(delta.index);
    if (call === undefined) {
      out += closeText();
      call = {
        outputIndex: output.length,
        id: newId('fc_'),
        callId: delta.id || newId('call_'),
        name: delta.function?.name ?? '',
        args: '',
        done: false,
      };
      calls.set(delta.index, call);
      const added = callItem(call, 'in_progress');
      output.push(added);
      out += event('response.output_item.added', { output_index: call.outputIndex, item: added });
    }
    const fragment = delta.function?.arguments;
    if (typeof fragment === 'string' && fragment !== '' && !call.done) {
      call.args += fragment;
      out += event('response.function_call_arguments.delta', {
        item_id: call.id,
        output_index: call.outputIndex,
        delta: fragment,
      });
    }
    return out;
  };

  const textDelta = (kind: OpenText['kind'], fragment: string): string => {
    let out = kind === 'message' ? closeCalls() : '';
    out += openText(kind);
    const item = open as OpenText;
    item.text += fragment;
    const where = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
    return (
      out +
      (kind === 'message'
        ? event('response.output_text.delta', { ...where, delta: fragment, logprobs: [] })
        : event('response.reasoning_text.delta', { ...where, delta: fragment }))
    );
  };

  return {
    start() {
      const response = snapshot('in_progress');
      return event('response.created', { response }) + event('response.in_progress', { response });
    },
    chunk(chunk) {
      if (typeof chunk.model === 'string' && chunk.model !== '') model = chunk.model;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice === undefined) return '';
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta ?? {};
      let out = '';
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
        out += textDelta('reasoning', delta.reasoning_content);
      }
      if (typeof delta.content === 'string' && delta.content !== '')
        out += textDelta('message', delta.content);
      for (const call of delta.tool_calls ?? []) out += toolDelta(call);
      return out;
    },
    done() {
      let out = closeText() + closeCalls();
      if (output.length === 0) {
        // An empty answer is still one (empty) message, as chat's `content: ""` is.
        out += openText('message') + closeText();
      }
      const status = statusOf(finishReason).status;
      const type = status === 'incomplete' ? 'response.incomplete' : 'response.completed';
      return out + event(type, { response: snapshot(status) });
    },
    fail(failure: StreamFailure) {
      const code = failure.code === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error';
      const error = { code, message: failure.message };
      return (
        event('error', { code: failure.code, message: failure.message, param: null }) +
        event('response.failed', { response: snapshot('failed', error) })
      );
    },
  };
}

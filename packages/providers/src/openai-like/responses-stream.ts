import type { UpstreamFailure } from '@llmgw/core';
import type { Usage } from '../openai-types.js';
import { isRecord, type JsonRecord, numberField, recordField, stringField } from '../shared/json.js';
import { createSseDecoder, type SseEvent } from '../shared/sse.js';
import { createStreamError, truncatedStream } from '../shared/stream-error.js';
import type { ResponsesStreamParser, ResponsesStreamStep } from '../types.js';
import { classifyFailure } from './errors.js';
import { responsesUsage } from './responses-usage.js';

const FINAL = new Set(['response.completed', 'response.incomplete']);

/**
 * A Responses event stream passed through event by event: each whole event is re-emitted exactly as
 * the upstream framed it (`event:` and `data:`), and read only for what the gateway needs — the final
 * event's usage, the Response `response.created` announced, and failures. After an `error` event the
 * rest is held back until the verdict, so a stream that fails at once never shows the client a byte
 * (and can still fail over).
 */
export function createResponsesStreamParser(): ResponsesStreamParser {
  const sse = createSseDecoder();
  let usage: Usage | undefined;
  let announced: JsonRecord | undefined;
  let sequence = -1;
  let finished = false;
  /** The upstream's `error` event, and the events from it on, waiting for the stream's verdict. */
  let reported: { data: string; held: string } | undefined;

  const failure = (text: string, facts: UpstreamFailure, own: boolean): ResponsesStreamStep => {
    finished = true;
    const error = createStreamError(facts, classifyFailure(facts, Date.now()), []);
    return { text, complete: false, error, ...(own ? { reported: true } : {}) };
  };

  const run = (events: SseEvent[], atEnd: boolean): ResponsesStreamStep => {
    let text = '';
    for (const event of events) {
      if (finished) break;
      const data = event.data.trim();
      if (data === '') continue;
      const frame = frameOf(event);
      if (data === '[DONE]') {
        text += frame;
        continue;
      }
      const parsed = parseEvent(data);
      if (parsed === undefined) {
        return failure(text, atEnd ? truncatedStream : { status: 502, body: data.slice(0, 2000) }, false);
      }
      const sequenceNumber = numberField(parsed, 'sequence_number');
      if (sequenceNumber !== undefined) sequence = sequenceNumber;
      const type = stringField(parsed, 'type') ?? event.event ?? '';
      if (type === 'error' || (type === '' && isRecord(parsed.error))) {
        // Held with what came before it in this read, as the chat parser does: an error arriving
        // with the first events still leaves the client untouched.
        reported ??= { data, held: '' };
        reported.held = text + reported.held + frame;
        text = '';
        continue;
      }
      if (reported !== undefined) reported.held += frame;
      else text += frame;
      const response = recordField(parsed, 'response');
      if (type === 'response.created' || type === 'response.in_progress') {
        announced = response ?? announced;
      } else if (FINAL.has(type)) {
        finished = true;
        usage = responsesUsage(response?.usage);
        return { text: text + (reported?.held ?? ''), complete: true };
      } else if (type === 'response.failed') {
        const error = recordField(response, 'error');
        const body = error === undefined ? (reported?.data ?? data) : JSON.stringify({ error });
        return failure(text + (reported?.held ?? ''), { body }, true);
      }
    }
    return { text, complete: finished };
  };

  return {
    push(data) {
      if (finished) return { text: '', complete: true };
      return run(sse.push(data), false);
    },
    end() {
      if (finished) return { text: '', complete: true };
      const step = run(sse.end(), true);
      if (finished) return step;
      // No final event: the upstream's own error if it sent one, else the stream was cut short.
      if (reported !== undefined) return failure(step.text + reported.held, { body: reported.data }, true);
      return failure(step.text, truncatedStream, false);
    },
    usage: () => usage,
    failureEvents(error) {
      const frame = (type: string, payload: JsonRecord) => {
        sequence += 1;
        return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: sequence })}\n\n`;
      };
      let text = frame('error', { code: error.code, message: error.message, param: null });
      if (announced !== undefined) {
        // ResponseError codes are an enum; a limit is the only one of ours it names.
        const code = error.code === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error';
        const response = { ...announced, status: 'failed', error: { code, message: error.message } };
        text += frame('response.failed', { response });
      }
      return text;
    },
  };
}

function parseEvent(data: string): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The event as the upstream framed it: its name and its data, line for line. */
function frameOf(event: SseEvent): string {
  const name = event.event === undefined ? '' : `event: ${event.event}\n`;
  return `${name}data: ${event.data.split('\n').join('\ndata: ')}\n\n`;
}

import { isLlmgwError } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import type { ProviderSettings } from '../types.js';
import { buildResponsesRequest, parseResponsesResponse } from './responses.js';
import { createResponsesStreamParser } from './responses-stream.js';

const settings: ProviderSettings = {
  type: 'openai_like',
  name: 'openai',
  baseUrl: 'https://api.openai.com/v1/',
  auth: 'bearer',
  headers: {},
  probeMethod: 'chat',
};

const frame = (type: string, payload: Record<string, unknown>, sequence: number) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: sequence })}\n\n`;

const created = frame(
  'response.created',
  { response: { id: 'resp_1', status: 'in_progress', output: [] } },
  0,
);
const delta = frame('response.output_text.delta', { item_id: 'msg_1', delta: 'hi' }, 1);
const completed = frame(
  'response.completed',
  {
    response: {
      id: 'resp_1',
      status: 'completed',
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 8 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 17,
      },
    },
  },
  2,
);

describe('openai_like Responses passthrough', () => {
  it('posts the body unchanged to <base_url>/responses, asking for SSE only when streaming', () => {
    const body = { model: 'gpt-4o', input: 'hi', store: false, stream: true };
    const request = buildResponsesRequest({ settings, credential: 'sk-x' }, body);
    expect(request.url).toBe('https://api.openai.com/v1/responses');
    expect(request.headers).toMatchObject({ authorization: 'Bearer sk-x', accept: 'text/event-stream' });
    expect(JSON.parse(String(request.body))).toEqual(body);
    const plain = buildResponsesRequest({ settings, credential: 'sk-x' }, { model: 'gpt-4o', input: 'hi' });
    expect(plain.headers).toMatchObject({ accept: 'application/json' });
  });

  it('keeps the Response as sent and reads its usage in chat terms, cached and reasoning tokens included', () => {
    const response = {
      id: 'resp_1',
      object: 'response',
      output: [],
      extra: { kept: true },
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 8 },
        output_tokens: 5,
        total_tokens: 17,
      },
    };
    const parsed = parseResponsesResponse(200, JSON.stringify(response));
    expect(parsed.body).toEqual(response);
    expect(parsed.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 5,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 8 },
    });
  });

  it('turns a failed Response and a body without output into verdicts', () => {
    const failed = {
      id: 'r',
      status: 'failed',
      output: [],
      error: { code: 'rate_limit_exceeded', message: 'slow down' },
    };
    const caught = (text: string) => {
      try {
        parseResponsesResponse(200, text);
      } catch (error) {
        return error;
      }
      throw new Error('no verdict');
    };
    const limited = caught(JSON.stringify(failed));
    expect(isLlmgwError(limited) && limited.reason).toBe('rate_limited');
    const empty = caught('{"id":"r"}');
    expect(isLlmgwError(empty) && empty.reason).toBe('server_error');
  });
});

describe('Responses stream parser', () => {
  it('passes whole events through as framed, whatever the byte split, and reads usage from the final event', () => {
    const wire = created + delta + completed;
    for (const cut of [1, 17, created.length, created.length + 3, wire.length - 1]) {
      const parser = createResponsesStreamParser();
      const first = parser.push(new TextEncoder().encode(wire.slice(0, cut)));
      const second = parser.push(wire.slice(cut));
      expect(first.text + second.text).toBe(wire);
      expect(second.complete).toBe(true);
      expect(parser.end()).toEqual({ text: '', complete: true });
      expect(parser.usage()).toEqual({
        prompt_tokens: 12,
        completion_tokens: 5,
        total_tokens: 17,
        prompt_tokens_details: { cached_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 2 },
      });
    }
  });

  it('holds back an upstream error event until the verdict, then reports it as the upstream sent it', () => {
    const parser = createResponsesStreamParser();
    const error = frame(
      'error',
      { code: 'rate_limit_exceeded', message: 'Rate limit reached', param: null },
      1,
    );
    expect(parser.push(created)).toEqual({ text: created, complete: false });
    expect(parser.push(error)).toEqual({ text: '', complete: false });
    const end = parser.end();
    expect(end.text).toBe(error);
    expect(end.reported).toBe(true);
    expect(end.error?.classification.reason).toBe('rate_limited');
  });

  it('holds back the events read together with an error event, so nothing of that read reaches the client', () => {
    const parser = createResponsesStreamParser();
    const error = frame('error', { code: 'server_error', message: 'boom', param: null }, 2);
    expect(parser.push(created + delta + error)).toEqual({ text: '', complete: false });
    const end = parser.end();
    expect(end.text).toBe(created + delta + error);
    expect(end.error?.classification.reason).toBe('server_error');
  });

  it('fails a response.failed event with the error it carries, the event passed through', () => {
    const parser = createResponsesStreamParser();
    const failed = frame(
      'response.failed',
      { response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'boom' } } },
      1,
    );
    const step = parser.push(created + failed);
    expect(step.text).toBe(created + failed);
    expect(step.reported).toBe(true);
    expect(step.error?.classification.reason).toBe('server_error');
  });

  it('calls a stream without its final event truncated and closes it with error and response.failed', () => {
    const parser = createResponsesStreamParser();
    expect(parser.push(created + delta).text).toBe(created + delta);
    const end = parser.end();
    expect(end.reported).toBeUndefined();
    expect(end.error?.failure.code).toBe('LLMGW_STREAM_TRUNCATED');
    const closing = parser.failureEvents({ code: 'network_error', message: 'upstream stream failed: cut' });
    const events = closing
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.parse(block.split('data: ')[1] ?? ''));
    expect(events).toEqual([
      {
        type: 'error',
        code: 'network_error',
        message: 'upstream stream failed: cut',
        param: null,
        sequence_number: 2,
      },
      {
        type: 'response.failed',
        response: {
          id: 'resp_1',
          status: 'failed',
          output: [],
          error: { code: 'server_error', message: 'upstream stream failed: cut' },
        },
        sequence_number: 3,
      },
    ]);
  });

  it('refuses an event that is not JSON as the upstream fault', () => {
    const parser = createResponsesStreamParser();
    const step = parser.push('event: response.created\ndata: {nope\n\n');
    expect(step.error?.classification.reason).toBe('server_error');
    expect(step.text).toBe('');
  });
});

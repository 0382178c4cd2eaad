import type { FailureStatus, RateLimitState, StatusBehavior } from './behaviors.js';
import { readMessages } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { textOf } from './reply.js';
import { namedFrame } from './sse.js';
import {
  type Dialect,
  type FailureContext,
  json,
  nextId,
  type Operation,
  type ParsedCall,
  retryAfterHeader,
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

type Body = Record<string, unknown>;

export function parseAnthropicCall(operation: Operation, body: Body, pathModel = ''): ParsedCall {
  const { promptText, lastUserText } = readMessages(body.messages);
  return {
    operation,
    model: typeof body.model === 'string' ? body.model : pathModel,
    stream: body.stream === true,
    promptText: textOf(body.system) + promptText,
    lastUserText,
    inputs: [],
    includeUsage: true,
    dimensions: 8,
    base64: false,
    sse: true,
  };
}

function modelEntry(id: string): Body {
  return { type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' };
}

function usageOf(reply: ReplyPlan): Body {
  return {
    input_tokens: reply.promptTokens,
    output_tokens: reply.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse {
  switch (call.operation) {
    case 'models':
      return json(200, {
        data: models.map(modelEntry),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      });
    case 'model':
      return models.includes(call.model)
        ? json(200, modelEntry(call.model))
        : failure({ kind: 'status', status: 404 }, { call, key: '', now: 0 });
    case 'count_tokens':
      return json(200, { input_tokens: reply.promptTokens });
    default:
      return json(200, {
        id: nextId('msg_'),
        type: 'message',
        role: 'assistant',
        model: call.model,
        content: [{ type: 'text', text: reply.text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: usageOf(reply),
      });
  }
}

/** Named events in the documented order, with a `ping` where real streams put one. */
function stream(call: ParsedCall, reply: ReplyPlan): StreamPlan {
  const message = {
    id: nextId('msg_'),
    type: 'message',
    role: 'assistant',
    model: call.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: reply.promptTokens, output_tokens: 1 },
  };
  return {
    headers: SSE_HEADERS,
    head:
      namedFrame('message_start', { type: 'message_start', message }) +
      namedFrame('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }) +
      namedFrame('ping', { type: 'ping' }),
    pieces: reply.pieces.map((text) =>
      namedFrame('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      }),
    ),
    tail:
      namedFrame('content_block_stop', { type: 'content_block_stop', index: 0 }) +
      namedFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: reply.completionTokens },
      }) +
      namedFrame('message_stop', { type: 'message_stop' }),
  };
}

const ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: [
    'billing_error',
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  ],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  429: [
    'rate_limit_error',
    'This request would exceed the rate limit for your organization of 50 requests per minute.',
  ],
  500: ['api_error', 'Internal server error'],
  502: ['api_error', 'Bad gateway'],
  503: ['api_error', 'Service unavailable'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

function errorOf(status: number, call: ParsedCall, variant: string | undefined): [string, string] {
  if (status === 404) return ['not_found_error', `model: ${call.model}`];
  if (status === 400 && variant === 'context_length') {
    return ['invalid_request_error', 'prompt is too long: 210266 tokens > 200000 maximum'];
  }
  return ERRORS[status] ?? ['api_error', 'Internal server error'];
}

/** The Anthropic envelope; an exhausted quota is a 402 billing_error, since 429 here means rate. */
function failure(behavior: StatusBehavior, { call, key }: FailureContext): WireResponse {
  const quota = behavior.variant === 'insufficient_quota' || behavior.variant === 'per_day';
  const status = behavior.status === 429 && quota ? 402 : behavior.status;
  const [type, message] =
    status === 401 && key === ''
      ? ['authentication_error', 'x-api-key header is required']
      : errorOf(status, call, behavior.variant);
  return json(
    status,
    { type: 'error', error: { type, message }, request_id: nextId('req_') },
    { ...retryAfterHeader(behavior), 'request-id': nextId('req_') },
  );
}

function streamFailure(status: FailureStatus, call: ParsedCall): string {
  const [type, message] = errorOf(status === 500 ? 529 : status, call, undefined);
  return namedFrame('error', { type: 'error', error: { type, message } });
}

function rateLimitHeaders(state: RateLimitState, now: number): Record<string, string> {
  return {
    'anthropic-ratelimit-requests-limit': String(state.limit),
    'anthropic-ratelimit-requests-remaining': String(state.remaining),
    'anthropic-ratelimit-requests-reset': new Date(now + state.resetMs).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export const anthropicDialect: Dialect = {
  provider: 'anthropic',
  answer,
  stream,
  failure,
  streamFailure,
  rateLimitHeaders,
};

import type { FailureStatus, RateLimitState, StatusBehavior } from './behaviors.js';
import { readMessages } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { argumentPieces, textOf } from './reply.js';
import { namedFrame } from './sse.js';
import {
  type Asks,
  createProblems,
  type Dialect,
  type FailureContext,
  isObject,
  json,
  NO_ASKS,
  nextId,
  type Operation,
  type ParsedCall,
  type Problems,
  retryAfterHeader,
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

type Body = Record<string, unknown>;

const BLOCKS_BY_ROLE: Record<string, ReadonlySet<string>> = {
  user: new Set(['text', 'image', 'document', 'tool_result']),
  assistant: new Set(['text', 'tool_use', 'thinking', 'redacted_thinking']),
};

function checkBlock(block: Body, where: string, problems: Problems): void {
  if (block.type === 'text' && (typeof block.text !== 'string' || block.text === '')) {
    problems.add(`${where}: text blocks must be non-empty`);
  }
  if (block.type === 'image') {
    const source = isObject(block.source) ? block.source : {};
    const ok =
      (source.type === 'base64' &&
        typeof source.media_type === 'string' &&
        typeof source.data === 'string') ||
      (source.type === 'url' && typeof source.url === 'string');
    if (!ok) problems.add(`${where}: image source must be base64 {media_type, data} or url {url}`);
  }
  if (
    block.type === 'tool_use' &&
    !(typeof block.id === 'string' && typeof block.name === 'string' && isObject(block.input))
  ) {
    problems.add(`${where}: tool_use needs id, name and an input object`);
  }
}

/**
 * The Messages API's rules: turns alternate starting with the user; assistant turns hold text,
 * tool_use and thinking; every tool_use is answered by a tool_result in the next user turn, whose
 * results come before anything else in it; thinking wants budget_tokens >= 1024 below max_tokens and
 * a tool_choice of auto or none.
 */
function readAnthropicAsks(body: Body, problems: Problems): Asks {
  if (typeof body.max_tokens !== 'number') problems.add('max_tokens is required');
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  if (!Array.isArray(body.messages)) problems.add('messages must be an array');
  const images: string[] = [];
  let expected = 'user';
  let pending: string[] = [];
  let toolResults: string[] = [];
  for (const [index, message] of messages.entries()) {
    const where = `messages[${index}]`;
    if (!isObject(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      problems.add(`${where}.role must be user or assistant`);
      continue;
    }
    if (message.role !== expected)
      problems.add(`${where} must be a ${expected} turn (turns alternate, user first)`);
    expected = message.role === 'user' ? 'assistant' : 'user';
    const blocks: Body[] =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : Array.isArray(message.content)
          ? message.content.filter(isObject)
          : [];
    if (blocks.length === 0) problems.add(`${where}.content must not be empty`);
    const answered: string[] = [];
    toolResults = [];
    let sawOther = false;
    for (const [position, block] of blocks.entries()) {
      const at = `${where}.content[${position}]`;
      if (!BLOCKS_BY_ROLE[message.role]?.has(String(block.type))) {
        problems.add(`${at}: ${String(block.type)} blocks do not belong in a ${message.role} turn`);
      }
      checkBlock(block, at, problems);
      if (block.type === 'image' && isObject(block.source)) {
        images.push(block.source.type === 'url' ? 'url' : String(block.source.media_type));
      }
      if (block.type === 'tool_result') {
        if (sawOther) problems.add(`${at}: tool_result blocks must come first in their turn`);
        answered.push(String(block.tool_use_id));
        toolResults.push(textOf(block.content));
      } else sawOther = true;
    }
    if (message.role === 'user') {
      const missing = pending.filter((id) => !answered.includes(id));
      const stray = answered.filter((id) => !pending.includes(id));
      if (missing.length > 0) problems.add(`${where} must answer tool_use ${missing.join(', ')}`);
      if (stray.length > 0)
        problems.add(`${where} answers tool_use ${stray.join(', ')} that the last turn did not make`);
      pending = [];
    } else {
      pending = blocks.filter((block) => block.type === 'tool_use').map((block) => String(block.id));
    }
  }
  const tools: Asks['tools'] = [];
  for (const tool of Array.isArray(body.tools) ? body.tools : []) {
    if (
      !isObject(tool) ||
      typeof tool.name !== 'string' ||
      !isObject(tool.input_schema) ||
      tool.input_schema.type !== 'object'
    ) {
      problems.add('every tool needs a name and an input_schema of type object');
    } else tools.push({ name: tool.name, schema: tool.input_schema });
  }
  const choice = isObject(body.tool_choice) ? body.tool_choice : { type: 'auto' };
  const thinking = isObject(body.thinking) && body.thinking.type === 'enabled' ? body.thinking : undefined;
  if (thinking) {
    const budget = Number(thinking.budget_tokens);
    if (!(budget >= 1024) || !(budget < Number(body.max_tokens))) {
      problems.add('thinking.budget_tokens must be >= 1024 and below max_tokens');
    }
    if (choice.type !== 'auto' && choice.type !== 'none')
      problems.add('thinking allows only tool_choice auto or none');
    if (body.temperature !== undefined && body.temperature !== 1)
      problems.add('thinking allows no temperature but 1');
  }
  const last = messages.at(-1);
  return {
    tools,
    mayCall: tools.length > 0 && choice.type !== 'none',
    ...(choice.type === 'tool' && typeof choice.name === 'string' ? { forced: choice.name } : {}),
    parallel: choice.disable_parallel_tool_use !== true,
    toolResults: isObject(last) && last.role === 'user' ? toolResults : [],
    images,
    reasoning: thinking !== undefined,
  };
}

export function parseAnthropicCall(operation: Operation, body: Body, pathModel = ''): ParsedCall {
  const { promptText, lastUserText } = readMessages(body.messages);
  const problems = createProblems();
  const asks = operation === 'chat' ? readAnthropicAsks(body, problems) : NO_ASKS;
  const problem = problems.first();
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
    asks,
    ...(problem === undefined ? {} : { problem }),
  };
}

function modelEntry(id: string): Body {
  return { type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' };
}

/** Thinking is inside `output_tokens`; newer answers detail it as `output_tokens_details.thinking_tokens`. */
function usageOf(reply: ReplyPlan): Body {
  return {
    input_tokens: reply.promptTokens,
    output_tokens: reply.completionTokens + reply.reasoningTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    ...(reply.reasoningTokens > 0
      ? { output_tokens_details: { thinking_tokens: reply.reasoningTokens } }
      : {}),
  };
}

/** Thinking (with its signature), then the text or the tool_use blocks (input an object). */
function contentOf(reply: ReplyPlan, ids: string[]): Body[] {
  return [
    ...(reply.reasoning === ''
      ? []
      : [{ type: 'thinking', thinking: reply.reasoning, signature: 'sig-testkit' }]),
    ...(reply.toolCalls.length > 0
      ? reply.toolCalls.map((call, index) => ({
          type: 'tool_use',
          id: ids[index],
          name: call.name,
          input: call.args,
        }))
      : [{ type: 'text', text: reply.text }]),
  ];
}

function toolUseIds(reply: ReplyPlan): string[] {
  return reply.toolCalls.map(() => nextId('toolu_'));
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
        content: contentOf(reply, toolUseIds(reply)),
        stop_reason: reply.toolCalls.length > 0 ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: usageOf(reply),
      });
  }
}

/**
 * Named events in the documented order, with a `ping` where real streams put one: a thinking block,
 * then the text block or one tool_use block per call, whose input arrives as `input_json_delta` pieces.
 */
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
  const start = (index: number, block: Body) =>
    namedFrame('content_block_start', { type: 'content_block_start', index, content_block: block });
  const delta = (index: number, body: Body) =>
    namedFrame('content_block_delta', { type: 'content_block_delta', index, delta: body });
  const stop = (index: number) => namedFrame('content_block_stop', { type: 'content_block_stop', index });
  const pieces: string[] = [];
  let index = 0;
  if (reply.reasoning !== '') {
    pieces.push(
      start(index, { type: 'thinking', thinking: '' }) +
        delta(index, { type: 'thinking_delta', thinking: reply.reasoning }) +
        delta(index, { type: 'signature_delta', signature: 'sig-testkit' }) +
        stop(index),
    );
    index++;
  }
  const ids = toolUseIds(reply);
  let head = namedFrame('message_start', { type: 'message_start', message });
  let last = index;
  if (reply.toolCalls.length === 0) {
    if (pieces.length === 0)
      head += start(index, { type: 'text', text: '' }) + namedFrame('ping', { type: 'ping' });
    else pieces.push(start(index, { type: 'text', text: '' }));
    pieces.push(...reply.pieces.map((text) => delta(index, { type: 'text_delta', text })));
  } else {
    head += namedFrame('ping', { type: 'ping' });
    for (const [position, planned] of reply.toolCalls.entries()) {
      last = index + position;
      if (position > 0) pieces.push(stop(last - 1));
      pieces.push(start(last, { type: 'tool_use', id: ids[position], name: planned.name, input: {} }));
      const at = last;
      pieces.push(
        ...argumentPieces(planned.args).map((partial_json) =>
          delta(at, { type: 'input_json_delta', partial_json }),
        ),
      );
    }
  }
  // The last block closes in the tail, so a stream cut after N pieces never looks finished.
  return {
    headers: SSE_HEADERS,
    head,
    pieces,
    tail:
      stop(last) +
      namedFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: reply.toolCalls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: {
          output_tokens: reply.completionTokens + reply.reasoningTokens,
          ...(reply.reasoningTokens > 0
            ? { output_tokens_details: { thinking_tokens: reply.reasoningTokens } }
            : {}),
        },
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
  if (status === 400 && call.problem !== undefined) return ['invalid_request_error', call.problem];
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

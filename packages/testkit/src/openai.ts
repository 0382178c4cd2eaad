import { maskKey } from '@llmgw/core';
import type { FailureStatus, RateLimitState, StatusBehavior } from './behaviors.js';
import type { ReplyPlan } from './reply.js';
import { argumentPieces, embed, textOf } from './reply.js';
import { DONE_FRAME, dataFrame } from './sse.js';
import {
  type Asks,
  createProblems,
  type Dialect,
  type FailureContext,
  imageKind,
  isObject,
  json,
  NO_ASKS,
  nextId,
  type OfferedTool,
  type Operation,
  type ParsedCall,
  type Problems,
  parseObject,
  resetAtOf,
  retryAfterHeader,
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

const CREATED = 1_735_689_600;

type Body = Record<string, unknown>;

/** Text of an OpenAI-style `messages` array (also GigaChat's and, minus `system`, Anthropic's). */
export function readMessages(messages: unknown): { promptText: string; lastUserText: string } {
  if (!Array.isArray(messages)) return { promptText: '', lastUserText: '' };
  let promptText = '';
  let lastUserText = '';
  for (const message of messages) {
    if (message === null || typeof message !== 'object') continue;
    const text = textOf((message as Body).content);
    promptText += text;
    if ((message as Body).role === 'user') lastUserText = text;
  }
  return { promptText, lastUserText };
}

function inputsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input))
    return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  return [];
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function readTools(tools: unknown, problems: Problems): OfferedTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) {
    problems.add('tools must be an array');
    return [];
  }
  return tools.flatMap((tool: unknown, index) => {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
      problems.add(`tools[${index}] must be {type: "function", function: {name, parameters?}}`);
      return [];
    }
    return [{ name: fn.name, schema: fn.parameters }];
  });
}

/**
 * Tools, images, JSON and reasoning of an OpenAI chat body, and what is malformed in it: a tool result
 * must answer a call made earlier, and call arguments must be JSON strings, as OpenAI itself checks.
 */
function readOpenAiAsks(body: Body, problems: Problems): Asks {
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  if (!Array.isArray(body.messages)) problems.add('messages must be an array');
  const tools = readTools(body.tools, problems);
  const callIds = new Set<string>();
  const images: string[] = [];
  for (const [index, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      problems.add(`messages[${index}] has no valid role`);
      continue;
    }
    if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (isObject(part) && part.type === 'image_url') {
          images.push(imageKind(isObject(part.image_url) ? part.image_url.url : undefined));
        }
      }
    }
    for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
      const fn = isObject(call) ? call.function : undefined;
      if (!isObject(call) || typeof call.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string') {
        problems.add(`messages[${index}].tool_calls needs id and function.name`);
      } else if (parseObject(fn.arguments) === undefined) {
        problems.add(`messages[${index}].tool_calls[].function.arguments must be a JSON object string`);
      } else callIds.add(call.id);
    }
    if (
      message.role === 'tool' &&
      (typeof message.tool_call_id !== 'string' || !callIds.has(message.tool_call_id))
    ) {
      problems.add(`messages[${index}] answers no tool call made before`);
    }
  }
  const toolResults: string[] = [];
  for (const message of [...messages].reverse()) {
    if (!isObject(message) || message.role !== 'tool') break;
    toolResults.unshift(textOf(message.content));
  }
  const choice = body.tool_choice;
  const forced = isObject(choice) && isObject(choice.function) ? choice.function.name : undefined;
  const format = isObject(body.response_format) ? body.response_format : undefined;
  const schema = isObject(format?.json_schema) ? format.json_schema.schema : undefined;
  return {
    tools,
    mayCall: tools.length > 0 && choice !== 'none',
    ...(typeof forced === 'string' ? { forced } : {}),
    parallel: body.parallel_tool_calls !== false,
    toolResults,
    images,
    reasoning: typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none',
    ...(format?.type === 'json_object' ? { json: {} } : {}),
    ...(format?.type === 'json_schema' ? { json: { schema } } : {}),
  };
}

/** Reads an OpenAI-shaped request body (chat or embeddings). */
export function parseOpenAiCall(
  operation: Operation,
  body: Body,
  pathModel = '',
  readAsks: (body: Body, problems: Problems) => Asks = readOpenAiAsks,
): ParsedCall {
  const { promptText, lastUserText } = readMessages(body.messages);
  const problems = createProblems();
  const asks = operation === 'chat' ? readAsks(body, problems) : NO_ASKS;
  const problem = problems.first();
  const inputs = operation === 'embeddings' || operation === 'count_tokens' ? inputsOf(body.input) : [];
  const streamOptions = body.stream_options as Body | undefined;
  return {
    operation,
    model: typeof body.model === 'string' ? body.model : pathModel,
    stream: body.stream === true,
    promptText: operation === 'embeddings' ? inputs.join('') : promptText,
    lastUserText,
    inputs,
    includeUsage: streamOptions?.include_usage === true,
    dimensions: typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : 8,
    base64: body.encoding_format === 'base64',
    sse: true,
    asks,
    ...(problem === undefined ? {} : { problem }),
  };
}

/** Completion tokens include reasoning, as OpenAI counts them, with the reasoning part detailed. */
function usageOf(reply: ReplyPlan): Record<string, unknown> {
  const completion = reply.completionTokens + reply.reasoningTokens;
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: completion,
    total_tokens: reply.promptTokens + completion,
    ...(reply.reasoningTokens > 0
      ? { completion_tokens_details: { reasoning_tokens: reply.reasoningTokens } }
      : {}),
  };
}

let callSequence = 0;

function toolCallIds(reply: ReplyPlan): string[] {
  return reply.toolCalls.map(() => {
    callSequence++;
    return `call_${callSequence.toString(36).padStart(6, '0')}`;
  });
}

/** The assistant message of a chat answer: text, or tool calls with JSON-string arguments; reasoning beside. */
function messageOf(reply: ReplyPlan): Body {
  const ids = toolCallIds(reply);
  return {
    role: 'assistant',
    content: reply.toolCalls.length > 0 ? null : reply.text,
    refusal: null,
    ...(reply.reasoning === '' ? {} : { reasoning_content: reply.reasoning }),
    ...(reply.toolCalls.length > 0
      ? {
          tool_calls: reply.toolCalls.map((call, index) => ({
            id: ids[index],
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.args) },
          })),
        }
      : {}),
  };
}

function base64Floats(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

function answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse {
  switch (call.operation) {
    case 'models':
      return json(200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'testkit' })),
      });
    case 'model':
      return models.includes(call.model)
        ? json(200, { id: call.model, object: 'model', created: CREATED, owned_by: 'testkit' })
        : modelNotFound(call.model);
    case 'embeddings': {
      const tokens = reply.promptTokens;
      return json(200, {
        object: 'list',
        data: call.inputs.map((input, index) => {
          const vector = embed(input, call.dimensions);
          return { object: 'embedding', index, embedding: call.base64 ? base64Floats(vector) : vector };
        }),
        model: call.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    default:
      return json(200, {
        id: nextId('chatcmpl-'),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: call.model,
        choices: [
          {
            index: 0,
            message: messageOf(reply),
            logprobs: null,
            finish_reason: reply.toolCalls.length > 0 ? 'tool_calls' : 'stop',
          },
        ],
        usage: usageOf(reply),
      });
  }
}

function stream(call: ParsedCall, reply: ReplyPlan): StreamPlan {
  const id = nextId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Body, finishReason: string | null): string =>
    dataFrame({
      id,
      object: 'chat.completion.chunk',
      created,
      model: call.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(call.includeUsage ? { usage: null } : {}),
    });
  const usageChunk = call.includeUsage
    ? dataFrame({
        id,
        object: 'chat.completion.chunk',
        created,
        model: call.model,
        choices: [],
        usage: usageOf(reply),
      })
    : '';
  const ids = toolCallIds(reply);
  // A call opens with id, type and name; its arguments follow in pieces, as OpenAI streams them.
  const callPieces = reply.toolCalls.flatMap((call, index) => [
    chunk(
      {
        tool_calls: [
          { index, id: ids[index], type: 'function', function: { name: call.name, arguments: '' } },
        ],
      },
      null,
    ),
    ...argumentPieces(call.args).map((piece) =>
      chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null),
    ),
  ]);
  const reasoning = reply.reasoning === '' ? [] : [chunk({ reasoning_content: reply.reasoning }, null)];
  return {
    headers: SSE_HEADERS,
    head: chunk({ role: 'assistant', content: '' }, null),
    pieces: [...reasoning, ...reply.pieces.map((piece) => chunk({ content: piece }, null)), ...callPieces],
    tail: `${chunk({}, reply.toolCalls.length > 0 ? 'tool_calls' : 'stop')}${usageChunk}${DONE_FRAME}`,
  };
}

function errorBody(message: string, type: string, code: string | null, param: string | null = null): Body {
  return { error: { message, type, param, code } };
}

function modelNotFound(model: string): WireResponse {
  return json(
    404,
    errorBody(
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      'model_not_found',
    ),
  );
}

/** The OpenAI error body for a failure, before the Gemini-compat wrapping or status mapping. */
function failure(behavior: StatusBehavior, { call, key, now }: FailureContext): WireResponse {
  const retry = retryAfterHeader(behavior);
  switch (behavior.status) {
    case 400:
      return behavior.variant === 'context_length'
        ? json(
            400,
            errorBody(
              `This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.`,
              'invalid_request_error',
              'context_length_exceeded',
              'messages',
            ),
          )
        : json(400, errorBody(call.problem ?? 'Invalid request.', 'invalid_request_error', null));
    case 401:
      if (behavior.variant === 'mistral') {
        return json(401, { message: 'Unauthorized', request_id: nextId('') });
      }
      return json(
        401,
        key === ''
          ? errorBody(
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              'invalid_request_error',
              null,
            )
          : errorBody(
              `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
              'invalid_request_error',
              'invalid_api_key',
            ),
      );
    case 402:
      return behavior.variant === 'openrouter'
        ? json(402, {
            error: {
              code: 402,
              message: 'Insufficient credits. Add more using https://openrouter.ai/credits',
              metadata: { limit_source: 'openrouter_credits' },
            },
          })
        : // DeepSeek's 402: OpenAI-shaped with odd type/code values.
          json(402, errorBody('Insufficient Balance', 'unknown_error', 'invalid_request_error'));
    case 403:
      return json(
        403,
        errorBody(
          'Country, region, or territory not supported',
          'request_forbidden',
          'unsupported_country_region_territory',
        ),
      );
    case 404:
      return modelNotFound(call.model);
    case 429:
      return tooManyRequests(behavior, call, now, retry);
    case 503:
    case 529:
      return json(
        behavior.status,
        errorBody(
          'The engine is currently overloaded, please try again later.',
          'service_unavailable_error',
          'server_is_overloaded',
        ),
        retry,
      );
    default:
      return json(
        behavior.status,
        errorBody(
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        ),
        retry,
      );
  }
}

function tooManyRequests(
  behavior: StatusBehavior,
  call: ParsedCall,
  now: number,
  retry: Record<string, string>,
): WireResponse {
  switch (behavior.variant) {
    case 'insufficient_quota':
    case 'per_day':
      // Quota errors need user action, so OpenAI sends no retry-after unless the test asks for one.
      return json(
        429,
        errorBody(
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          'insufficient_quota',
          'insufficient_quota',
        ),
        retry,
      );
    case 'credit_balance_exhausted':
      return json(
        429,
        errorBody('You have no credits remaining.', 'insufficient_quota', 'credit_balance_exhausted'),
        retry,
      );
    case 'will_reset_at': {
      const resetAt = resetAtOf(behavior, now);
      return json(
        429,
        {
          error: {
            message: `Rate limit exceeded: free-models-per-day. Your limit will reset at ${new Date(resetAt).toISOString()}.`,
            code: 429,
            metadata: {
              headers: {
                'X-RateLimit-Limit': '50',
                'X-RateLimit-Remaining': '0',
                'X-RateLimit-Reset': String(resetAt),
              },
              provider_name: null,
            },
          },
        },
        retry,
      );
    }
    default: {
      const tokens = behavior.variant === 'tokens';
      const waitSec = behavior.retryAfterSec ?? 1;
      const message = tokens
        ? `Rate limit reached for ${call.model} in organization org-testkit on tokens per min (TPM): Limit 30000, Used 29900, Requested 400. Please try again in ${waitSec}s. Visit https://platform.openai.com/account/rate-limits to learn more.`
        : `Rate limit reached for ${call.model} in organization org-testkit on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${waitSec}s. Visit https://platform.openai.com/account/rate-limits to learn more.`;
      return json(429, errorBody(message, tokens ? 'tokens' : 'requests', 'rate_limit_exceeded'), {
        ...retry,
        [tokens ? 'x-ratelimit-remaining-tokens' : 'x-ratelimit-remaining-requests']: '0',
        [tokens ? 'x-ratelimit-reset-tokens' : 'x-ratelimit-reset-requests']: `${waitSec}s`,
      });
    }
  }
}

function streamFailure(status: FailureStatus, call: ParsedCall): string {
  const { body } = failure({ kind: 'status', status }, { call, key: '', now: Date.now() });
  return `data: ${body}\n\n`;
}

/** Go-style duration, the format OpenAI uses in `x-ratelimit-reset-*`. */
function goDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : `${Math.ceil(ms / 1000)}s`;
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(state.limit),
    'x-ratelimit-remaining-requests': String(state.remaining),
    'x-ratelimit-reset-requests': goDuration(state.resetMs),
  };
}

export const openAiDialect: Dialect = {
  provider: 'openai',
  answer,
  stream,
  failure,
  streamFailure,
  rateLimitHeaders,
};

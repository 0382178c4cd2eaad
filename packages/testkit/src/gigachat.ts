import { randomBytes } from 'node:crypto';
import type { Behavior, FailureStatus, StatusBehavior } from './behaviors.js';
import { parseOpenAiCall } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { embed } from './reply.js';
import { DONE_FRAME, dataFrame } from './sse.js';
import {
  type Asks,
  type Dialect,
  type FailureContext,
  isObject,
  json,
  nextId,
  type Operation,
  type ParsedCall,
  type Problems,
  parseObject,
  retryAfterHeader,
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

type Body = Record<string, unknown>;

/** GigaChat answers with the model name plus a build suffix; adapters must cope with it. */
const MODEL_BUILD = ':2.0.28.2';

const ROLES = new Set(['system', 'user', 'assistant', 'function', 'search_result', 'function_in_progress']);

/**
 * GigaChat v1's rules: one system message and only first (else 422), text content only (images go
 * as uploaded-file attachments), `function` results with a name and a JSON string, assistant
 * `function_call.arguments` an object, and `function_call` auto, none or {name}.
 */
function readGigaChatAsks(body: Record<string, unknown>, problems: Problems): Asks {
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  if (!Array.isArray(body.messages)) problems.add('messages must be an array');
  for (const [index, message] of messages.entries()) {
    const where = `messages[${index}]`;
    if (!isObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      problems.add(`${where}.role is not a GigaChat role`);
      continue;
    }
    if (message.role === 'system' && index !== 0) problems.add('system message must be the first message');
    if (typeof message.content !== 'string') problems.add(`${where}.content must be a string`);
    if (message.role === 'function') {
      if (typeof message.name !== 'string')
        problems.add(`${where}: a function result needs the function name`);
      if (parseObject(message.content) === undefined && !isJson(message.content)) {
        problems.add(`${where}.content of a function result must be a JSON string`);
      }
    }
    if (message.function_call !== undefined) {
      const call = message.function_call;
      if (
        message.role !== 'assistant' ||
        !isObject(call) ||
        typeof call.name !== 'string' ||
        !isObject(call.arguments ?? {})
      ) {
        problems.add(`${where}.function_call must be an assistant's {name, arguments: object}`);
      }
    }
  }
  const tools: Asks['tools'] = [];
  for (const fn of Array.isArray(body.functions) ? body.functions : []) {
    if (!isObject(fn) || typeof fn.name !== 'string') problems.add('every function needs a name');
    else tools.push({ name: fn.name, schema: fn.parameters });
  }
  const choice = body.function_call;
  if (
    choice !== undefined &&
    choice !== 'auto' &&
    choice !== 'none' &&
    !(isObject(choice) && typeof choice.name === 'string')
  ) {
    problems.add('function_call must be auto, none or {name}');
  }
  const toolResults: string[] = [];
  for (const message of [...messages].reverse()) {
    if (!isObject(message) || message.role !== 'function') break;
    toolResults.unshift(String(message.content));
  }
  const format = isObject(body.response_format) ? body.response_format : undefined;
  if (format !== undefined && format.type !== 'json_schema')
    problems.add('response_format.type must be json_schema');
  return {
    tools,
    mayCall: tools.length > 0 && choice !== 'none',
    ...(isObject(choice) && typeof choice.name === 'string' ? { forced: choice.name } : {}),
    // One function_call per answer, always.
    parallel: false,
    toolResults,
    images: [],
    reasoning: ['low', 'medium', 'high'].includes(String(body.reasoning_effort)),
    ...(format?.type === 'json_schema' ? { json: { schema: format.schema } } : {}),
  };
}

function isJson(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** GigaChat's fields are OpenAI's, but chat messages and functions follow its own rules. */
export function parseGigaChatCall(
  operation: Operation,
  body: Record<string, unknown>,
  pathModel = '',
): ParsedCall {
  return parseOpenAiCall(operation, body, pathModel, readGigaChatAsks);
}

// ---- OAuth -----------------------------------------------------------------------------------------

export interface IssuedToken {
  authKey: string;
  expiresAt: number;
}

/** Access tokens handed out by the fake OAuth endpoint, so API calls can be traced to their auth key. */
export interface TokenStore {
  issue(authKey: string): { access_token: string; expires_at: number };
  lookup(token: string): IssuedToken | undefined;
}

export function createTokenStore(ttlMs: number, now: () => number): TokenStore {
  const tokens = new Map<string, IssuedToken>();
  return {
    issue(authKey) {
      const token = `gigachat-${randomBytes(12).toString('hex')}`;
      const expiresAt = now() + ttlMs;
      tokens.set(token, { authKey, expiresAt });
      return { access_token: token, expires_at: expiresAt };
    },
    lookup: (token) => tokens.get(token),
  };
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const SCOPES = new Set(['GIGACHAT_API_PERS', 'GIGACHAT_API_B2B', 'GIGACHAT_API_CORP']);

/**
 * Checks an OAuth request the way Sber's endpoint does, returning the refusal or undefined when the
 * request is well formed. Credentials themselves are judged later, by the key's behaviour.
 */
export function checkOAuthRequest(
  authorization: string | undefined,
  rqUid: string | undefined,
  form: string,
): WireResponse | undefined {
  if (authorization === undefined || !authorization.startsWith('Basic ') || authorization.length <= 6) {
    return json(401, { code: 4, message: "Can't decode 'Authorization' header" });
  }
  // The real body for a bad RqUID was never captured; the status is what matters to clients.
  if (rqUid === undefined || !UUID4.test(rqUid)) {
    return json(400, { code: 3, message: 'RqUID header is missing or is not a uuid4' });
  }
  const scope = new URLSearchParams(form).get('scope');
  if (scope === null || scope === '') return json(400, { code: 5, message: 'scope is empty' });
  if (!SCOPES.has(scope)) return json(400, { code: 1, message: 'scope data format invalid' });
  return undefined;
}

/**
 * What the OAuth endpoint does for a well-formed request, judged by the key's behaviour. Only a
 * top-level verdict about the credentials or the service applies: quota, model and pacing behaviours
 * (and every composite) belong to API calls, and evaluating them here would spend their counters.
 */
export function oauthAnswer(behavior: Behavior, issue: () => unknown): WireResponse | 'hang' {
  if (behavior.kind === 'hang') return 'hang';
  if (behavior.kind === 'status' && (behavior.status === 401 || behavior.status === 403)) {
    return json(401, { code: 6, message: "credentials doesn't match db data" });
  }
  if (behavior.kind === 'status' && behavior.status >= 500) {
    const status = behavior.status === 529 ? 503 : behavior.status;
    return flat(status, MESSAGES[status] ?? 'Error', retryAfterHeader(behavior));
  }
  return json(200, issue());
}

// ---- API -------------------------------------------------------------------------------------------

function usageOf(reply: ReplyPlan): Body {
  const completion = reply.completionTokens + reply.reasoningTokens;
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: completion,
    total_tokens: reply.promptTokens + completion,
    precached_prompt_tokens: 0,
  };
}

function modelEntry(id: string): Body {
  return {
    id,
    object: 'model',
    owned_by: 'salutedevices',
    type: id.toLowerCase().includes('embed') ? 'embedder' : 'chat',
  };
}

function answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse {
  switch (call.operation) {
    case 'models':
      return json(200, { object: 'list', data: models.map(modelEntry) });
    case 'model':
      return models.includes(call.model) ? json(200, modelEntry(call.model)) : flat(404, 'No such model');
    case 'embeddings':
      // Usage is per item; there is no top-level usage.
      return json(200, {
        object: 'list',
        model: call.model,
        data: call.inputs.map((input, index) => ({
          object: 'embedding',
          index,
          embedding: embed(input, call.dimensions),
          usage: { prompt_tokens: Math.max(1, Math.ceil(input.length / 4)) },
        })),
      });
    case 'count_tokens':
      return json(
        200,
        call.inputs.map((input) => ({
          object: 'tokens',
          tokens: Math.max(1, Math.ceil(input.length / 4)),
          characters: input.length,
        })),
      );
    default:
      // No `id` field: GigaChat does not send one.
      return json(200, {
        choices: [{ message: messageOf(reply), index: 0, finish_reason: finishOf(reply) }],
        created: Math.floor(Date.now() / 1000),
        model: `${call.model}${MODEL_BUILD}`,
        object: 'chat.completion',
        usage: usageOf(reply),
      });
  }
}

/** The one function call GigaChat makes per answer: arguments an object, no id. */
function functionCallOf(reply: ReplyPlan): Body | undefined {
  const planned = reply.toolCalls[0];
  return planned ? { name: planned.name, arguments: planned.args } : undefined;
}

function finishOf(reply: ReplyPlan): string {
  return reply.toolCalls.length > 0 ? 'function_call' : 'stop';
}

function messageOf(reply: ReplyPlan): Body {
  const call = functionCallOf(reply);
  return {
    content: reply.text,
    role: 'assistant',
    ...(reply.reasoning === '' ? {} : { reasoning_content: reply.reasoning }),
    ...(call ? { function_call: call, functions_state_id: nextId('fs-') } : {}),
  };
}

/**
 * OpenAI-like framing, but `object: "chat.completion"`, no id, and usage on the finishing chunk,
 * which also carries a function call whole.
 */
function stream(call: ParsedCall, reply: ReplyPlan): StreamPlan {
  const created = Math.floor(Date.now() / 1000);
  const model = `${call.model}${MODEL_BUILD}`;
  const deltas: Body[] = [
    ...(reply.reasoning === '' ? [] : [{ reasoning_content: reply.reasoning }]),
    ...reply.pieces.map((piece) => ({ content: piece })),
  ];
  const functionCall = functionCallOf(reply);
  return {
    headers: SSE_HEADERS,
    head: '',
    pieces: deltas.map((delta, index) =>
      dataFrame({
        choices: [{ delta: index === 0 ? { ...delta, role: 'assistant' } : delta, index: 0 }],
        created,
        model,
        object: 'chat.completion',
      }),
    ),
    tail: `${dataFrame({
      choices: [
        {
          delta: {
            content: '',
            ...(deltas.length === 0 ? { role: 'assistant' } : {}),
            ...(functionCall ? { function_call: functionCall } : {}),
          },
          index: 0,
          finish_reason: finishOf(reply),
        },
      ],
      created,
      model,
      object: 'chat.completion',
      usage: usageOf(reply),
    })}${DONE_FRAME}`,
  };
}

function flat(status: number, message: string, headers: Record<string, string> = {}): WireResponse {
  return json(status, { status, message }, headers);
}

const MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Permission denied',
  404: 'No such model',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** GigaChat API errors are a flat `{status, message}`; quota ends in 402, overload in 503. */
function failure(behavior: StatusBehavior, context: FailureContext): WireResponse {
  let status: number = behavior.status;
  if (status === 400 && context.call.problem !== undefined) return flat(400, context.call.problem);
  if (status === 429 && (behavior.variant === 'insufficient_quota' || behavior.variant === 'per_day'))
    status = 402;
  if (status === 529) status = 503;
  return flat(status, MESSAGES[status] ?? 'Error', retryAfterHeader(behavior));
}

/** An API call with a token this server issued that has expired, or one it never issued. */
export function tokenRefused(reason: 'expired' | 'unknown'): WireResponse {
  return flat(401, reason === 'expired' ? 'Token has expired' : 'Unauthorized');
}

function streamFailure(status: FailureStatus): string {
  return dataFrame({ status, message: MESSAGES[status] ?? 'Error' });
}

export const gigaChatDialect: Dialect = { provider: 'gigachat', answer, stream, failure, streamFailure };

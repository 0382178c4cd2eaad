import { randomUUID } from 'node:crypto';
import type { UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, ChatMessage, EmbeddingsRequest } from '../openai-types.js';
import { partsText, readParts, systemText } from '../shared/content.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import { type JsonRecord, tryParseJson } from '../shared/json.js';
import { compact, maxOutputTokens } from '../shared/messages.js';
import { admitParameters, createGuard, type ParameterGuard } from '../shared/refusal.js';
import {
  type FunctionTool,
  parseArguments,
  readReasoningEffort,
  readResponseFormat,
  readToolChoice,
  readTools,
  toolNamesById,
  toolResultName,
  withoutSchemaMeta,
} from '../shared/tools.js';
import type { CallContext, ProviderSettings } from '../types.js';
import { gigachatDefaults } from './config.js';

type GigachatMessage = JsonRecord;

const TRANSLATED: ReadonlySet<string> = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'n',
  'tools',
  'tool_choice',
  // GigaChat makes at most one call per answer, which honours both values.
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  // GigaChat's own knobs, passed through when the caller sends them.
  'repetition_penalty',
  'update_interval',
  'profanity_check',
]);

const WHY: Record<string, string> = {
  stop: 'GigaChat has no stop sequences',
  seed: 'GigaChat has no seed',
  presence_penalty: 'GigaChat has no presence penalty (repetition_penalty is its own knob)',
  frequency_penalty: 'GigaChat has no frequency penalty (repetition_penalty is its own knob)',
  logprobs: 'GigaChat returns no log probabilities',
  top_logprobs: 'GigaChat returns no log probabilities',
  logit_bias: 'GigaChat has no logit bias',
  functions: 'the deprecated functions API is not translated; use tools',
  function_call: 'the deprecated functions API is not translated; use tool_choice',
};

const NO_IMAGES = {
  supported: false,
  why: 'GigaChat takes images only as files uploaded beforehand (attachments), which the gateway does not do',
} as const;

/** GigaChat's effort words are low/medium/high; the OpenAI extremes map to the nearest one. */
const EFFORT: Record<string, string | undefined> = {
  none: undefined,
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
};

/** A function result must be a JSON string; plain text is wrapped so it still is one. */
function functionContent(text: string): string {
  return tryParseJson(text) === undefined ? JSON.stringify({ content: text }) : text;
}

/**
 * OpenAI chat → GigaChat v1 messages: one system message, first (else 422); text only; an assistant
 * turn carries one `function_call` (arguments as an object), so a turn with several tool calls is
 * spread over several assistant turns, each followed by its `function` result, in call order.
 */
function toMessages(messages: ChatMessage[], guard: ParameterGuard): GigachatMessage[] {
  const names = toolNamesById(messages);
  const out: GigachatMessage[] = [];
  const results = new Map<string, GigachatMessage>();
  const resultOf = (message: ChatMessage, position: number): GigachatMessage => ({
    role: 'function',
    name: toolResultName(message, names, position),
    content: functionContent(
      partsText(readParts(message.content, `messages[${position}].content`, guard, NO_IMAGES)),
    ),
  });
  for (const [position, message] of messages.entries()) {
    const text = () =>
      partsText(readParts(message.content, `messages[${position}].content`, guard, NO_IMAGES));
    if (message.role === 'user') out.push({ role: 'user', content: text() });
    else if (message.role === 'tool') {
      const id = message.tool_call_id;
      // A result already placed after its call (a multi-call turn) is not placed again.
      if (typeof id === 'string' && results.has(id)) continue;
      out.push(resultOf(message, position));
    } else if (message.role === 'assistant') {
      const calls = message.tool_calls ?? [];
      if (calls.length === 0) {
        out.push({ role: 'assistant', content: text() });
        continue;
      }
      const spread = calls.length > 1;
      for (const [offset, next] of messages.slice(position + 1).entries()) {
        if (!spread || next.role !== 'tool') break;
        if (typeof next.tool_call_id === 'string')
          results.set(next.tool_call_id, resultOf(next, position + 1 + offset));
      }
      for (const [index, call] of calls.entries()) {
        const where = `messages[${position}].tool_calls[${index}].function.arguments`;
        out.push({
          role: 'assistant',
          content: index === 0 ? text() : '',
          function_call: {
            name: call.function.name,
            arguments: parseArguments(call.function.arguments, where),
          },
        });
        const result = results.get(call.id);
        if (result) out.push(result);
      }
    }
  }
  return out;
}

function functionFields(
  body: ChatCompletionRequest,
  tools: FunctionTool[],
  guard: ParameterGuard,
): JsonRecord {
  const choice = readToolChoice(body, tools);
  if (tools.length === 0) return {};
  let functionCall: unknown;
  if (choice?.mode === 'none' || choice?.mode === 'auto') functionCall = choice.mode;
  else if (choice?.mode === 'named') functionCall = { name: choice.name };
  else if (choice?.mode === 'required') {
    const only = tools.length === 1 ? tools[0] : undefined;
    if (only) functionCall = { name: only.name };
    else
      guard.refuse('tool_choice', 'GigaChat can force one named function, not "any of several" (required)');
  }
  return compact({
    functions: tools.map((tool) =>
      compact({
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters ? withoutSchemaMeta(tool.parameters) : { type: 'object', properties: {} },
      }),
    ),
    function_call: functionCall,
  });
}

/**
 * GigaChat v1 takes `response_format: {type: "json_schema", schema, strict}` (its SDK marks it beta);
 * it has no schema-less JSON mode, so `json_object` asks for the schema "any object".
 */
function responseFormat(body: ChatCompletionRequest): JsonRecord | undefined {
  const format = readResponseFormat(body);
  if (format.kind === 'json_object') return { type: 'json_schema', schema: { type: 'object' } };
  if (format.kind !== 'json_schema') return undefined;
  return compact({
    type: 'json_schema',
    schema: withoutSchemaMeta(format.schema),
    strict: format.strict ? true : undefined,
  });
}

export function toGigachatBody(raw: ChatCompletionRequest, guard: ParameterGuard): Record<string, unknown> {
  const body = admitParameters(raw, TRANSLATED, guard, (name) => WHY[name] ?? 'no translation for it exists');
  const tools = readTools(body, guard);
  const system = systemText(body.messages, guard);
  const turns = toMessages(body.messages, guard);
  const effort = readReasoningEffort(body);
  return compact({
    model: body.model,
    messages: system === '' ? turns : [{ role: 'system', content: system }, ...turns],
    ...functionFields(body, tools, guard),
    temperature: body.temperature ?? undefined,
    top_p: body.top_p ?? undefined,
    n: body.n ?? undefined,
    stream: body.stream ? true : undefined,
    max_tokens: maxOutputTokens(body),
    response_format: responseFormat(body),
    reasoning_effort: effort === undefined ? undefined : EFFORT[effort],
    repetition_penalty: body.repetition_penalty ?? undefined,
    update_interval: body.update_interval ?? undefined,
    profanity_check: body.profanity_check ?? undefined,
  });
}

function apiHeaders(ctx: CallContext, accept: string): Record<string, string> {
  const defaults: Record<string, string> = { 'content-type': 'application/json', accept };
  if (ctx.requestId) defaults['x-request-id'] = ctx.requestId;
  return requestHeaders(ctx.settings, ctx.credential, defaults);
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  const translated = toGigachatBody(body, createGuard(ctx));
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'chat/completions'),
    headers: apiHeaders(ctx, body.stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(translated),
  };
}

export function buildEmbeddingsRequest(ctx: CallContext, body: EmbeddingsRequest): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'embeddings'),
    headers: apiHeaders(ctx, 'application/json'),
    body: JSON.stringify({
      model: body.model,
      input: typeof body.input === 'string' ? [body.input] : body.input,
    }),
  };
}

export function buildModelsRequest(ctx: CallContext): UpstreamRequest {
  return {
    method: 'GET',
    url: joinUrl(ctx.settings.baseUrl, 'models'),
    headers: apiHeaders(ctx, 'application/json'),
  };
}

export function buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest {
  if (ctx.settings.probeMethod === 'models') return buildModelsRequest(ctx);
  return buildChatRequest(ctx, { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });
}

/**
 * The OAuth call that turns an authorization key into an access token. `RqUID` must be a fresh
 * uuid4 per call (the server rejects repeats and non-uuid4 values); the key is already base64.
 */
export function buildTokenRequest(
  settings: Pick<ProviderSettings, 'oauth'>,
  authKey: string,
  rqUid: string = randomUUID(),
): UpstreamRequest {
  const oauth = settings.oauth ?? gigachatDefaults.oauth;
  return {
    method: 'POST',
    url: oauth.url,
    headers: {
      authorization: `Basic ${authKey}`,
      rquid: rqUid,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ scope: oauth.scope }).toString(),
  };
}

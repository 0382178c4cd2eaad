import { LlmgwError, type UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, ChatMessage, EmbeddingsRequest } from '../openai-types.js';
import { type ImageSource, type Part, partsText, readParts, systemText } from '../shared/content.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import { isRecord, type JsonRecord, tryParseJson } from '../shared/json.js';
import { compact, isSystemRole, maxOutputTokens, stopList } from '../shared/messages.js';
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
import type { CallContext } from '../types.js';
import { modelResource } from './config.js';

type GeminiPart = JsonRecord;

interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

const TRANSLATED: ReadonlySet<string> = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'n',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
]);

/** Thinking budgets per effort; `none` turns thinking off where the model allows it. */
const THINKING_BUDGET: Record<string, number> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
};

const IMAGES = { supported: true } as const;

function imagePart(image: ImageSource): GeminiPart {
  if (image.kind === 'data') return { inlineData: { mimeType: image.mimeType, data: image.data } };
  // fileData needs a type; a link whose name does not tell one is most often a JPEG photo.
  return { fileData: { mimeType: image.mimeType ?? 'image/jpeg', fileUri: image.url } };
}

function geminiParts(parts: Part[]): GeminiPart[] {
  return parts.map((part) => (part.kind === 'text' ? { text: part.text } : imagePart(part.image)));
}

/** A tool result as Gemini's `response` Struct: a JSON object as is, anything else wrapped. */
function functionResponse(text: string): JsonRecord {
  const parsed = tryParseJson(text);
  return isRecord(parsed) ? parsed : { content: parsed ?? text };
}

function assistantParts(message: ChatMessage, position: number, guard: ParameterGuard): GeminiPart[] {
  const parts = geminiParts(readParts(message.content, `messages[${position}].content`, guard, IMAGES));
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    const where = `messages[${position}].tool_calls[${index}].function.arguments`;
    parts.push({
      functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, where) },
    });
  }
  return parts;
}

/**
 * OpenAI messages → `contents`: assistant becomes `model` (its tool calls `functionCall` parts),
 * tool results become `functionResponse` parts of a user turn (matched to the call by name), system
 * and developer messages go to `systemInstruction`, and consecutive turns of one role are merged
 * (Gemini wants them alternating, and all answers to one turn's calls in one turn).
 */
function toContents(messages: ChatMessage[], guard: ParameterGuard): GeminiContent[] {
  const contents: GeminiContent[] = [];
  const names = toolNamesById(messages);
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const [position, message] of messages.entries()) {
    if (isSystemRole(message)) continue;
    if (message.role === 'assistant') push('model', assistantParts(message, position, guard));
    else if (message.role === 'tool') {
      const text = partsText(readParts(message.content, `messages[${position}].content`, guard, IMAGES));
      const name = toolResultName(message, names, position);
      push('user', [{ functionResponse: { name, response: functionResponse(text) } }]);
    } else if (message.role === 'user') {
      const parts = geminiParts(readParts(message.content, `messages[${position}].content`, guard, IMAGES));
      // An empty user turn still has to be there for the alternation; Gemini rejects empty parts.
      push('user', parts.length > 0 ? parts : [{ text: '' }]);
    }
  }
  return contents;
}

function toolFields(
  body: ChatCompletionRequest,
  tools: FunctionTool[],
  guard: ParameterGuard,
): Record<string, unknown> {
  if (body.parallel_tool_calls === false && tools.length > 0) {
    guard.refuse('parallel_tool_calls', 'Gemini has no switch to turn parallel function calls off');
  }
  const choice = readToolChoice(body, tools);
  if (tools.length === 0) return {};
  const declarations = tools.map((tool) =>
    compact({
      name: tool.name,
      description: tool.description,
      // The JSON Schema field, not the OpenAPI-subset `parameters`: it takes the client's schema as is.
      parametersJsonSchema: tool.parameters ? withoutSchemaMeta(tool.parameters) : undefined,
    }),
  );
  let config: JsonRecord | undefined;
  if (choice?.mode === 'none') config = { mode: 'NONE' };
  else if (choice?.mode === 'auto') config = { mode: 'AUTO' };
  else if (choice?.mode === 'required') config = { mode: 'ANY' };
  else if (choice?.mode === 'named') config = { mode: 'ANY', allowedFunctionNames: [choice.name] };
  return compact({
    tools: [{ functionDeclarations: declarations }],
    toolConfig: config ? { functionCallingConfig: config } : undefined,
  });
}

function outputFields(body: ChatCompletionRequest): JsonRecord {
  const format = readResponseFormat(body);
  if (format.kind === 'json_object') return { responseMimeType: 'application/json' };
  if (format.kind === 'json_schema') {
    return { responseMimeType: 'application/json', responseJsonSchema: withoutSchemaMeta(format.schema) };
  }
  return {};
}

function thinkingFields(body: ChatCompletionRequest): JsonRecord {
  const effort = readReasoningEffort(body);
  if (effort === undefined) return {};
  const thinkingBudget = THINKING_BUDGET[effort] ?? 0;
  return {
    thinkingConfig: thinkingBudget > 0 ? { thinkingBudget, includeThoughts: true } : { thinkingBudget },
  };
}

export function toGeminiBody(raw: ChatCompletionRequest, guard: ParameterGuard): Record<string, unknown> {
  const body = admitParameters(raw, TRANSLATED, guard);
  const tools = readTools(body, guard);
  const contents = toContents(body.messages, guard);
  const system = systemText(body.messages, guard);
  const generationConfig = compact({
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    maxOutputTokens: maxOutputTokens(body),
    stopSequences: stopList(body.stop),
    candidateCount: body.n ?? undefined,
    seed: body.seed ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
    ...outputFields(body),
    ...thinkingFields(body),
  });
  return compact({
    systemInstruction: system ? { parts: [{ text: system }] } : undefined,
    contents,
    ...toolFields(body, tools, guard),
    generationConfig: Object.keys(generationConfig).length > 0 ? generationConfig : undefined,
  });
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  const method = body.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  const translated = toGeminiBody(body, createGuard(ctx));
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, `${modelResource(body.model)}:${method}`),
    headers: requestHeaders(ctx.settings, ctx.credential, {
      'content-type': 'application/json',
      accept: body.stream ? 'text/event-stream' : 'application/json',
    }),
    body: JSON.stringify(translated),
  };
}

/** One text → `embedContent`; several → `batchEmbedContents` (one upstream call either way). */
export function buildEmbeddingsRequest(ctx: CallContext, body: EmbeddingsRequest): UpstreamRequest {
  const texts = typeof body.input === 'string' ? [body.input] : body.input;
  if (!texts.every((item): item is string => typeof item === 'string')) {
    throw new LlmgwError('gemini embeddings take text input, not token arrays', { reason: 'bad_request' });
  }
  const model = modelResource(body.model);
  const one = (text: string) =>
    compact({ model, content: { parts: [{ text }] }, outputDimensionality: body.dimensions });
  const single = typeof body.input === 'string';
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, `${model}:${single ? 'embedContent' : 'batchEmbedContents'}`),
    headers: requestHeaders(ctx.settings, ctx.credential, { 'content-type': 'application/json' }),
    body: JSON.stringify(single ? one(texts[0] ?? '') : { requests: texts.map(one) }),
  };
}

export function buildModelsRequest(ctx: CallContext): UpstreamRequest {
  return {
    method: 'GET',
    url: joinUrl(ctx.settings.baseUrl, 'models?pageSize=1000'),
    headers: requestHeaders(ctx.settings, ctx.credential, { accept: 'application/json' }),
  };
}

export function buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest {
  if (ctx.settings.probeMethod === 'models') return buildModelsRequest(ctx);
  return buildChatRequest(ctx, { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });
}

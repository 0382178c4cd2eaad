import type { FailureStatus, StatusBehavior } from './behaviors.js';
import { openAiDialect } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { embed, textOf } from './reply.js';
import { crlfDataFrame } from './sse.js';
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
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

type Body = Record<string, unknown>;

const ACTIONS: Record<string, Operation> = {
  generateContent: 'chat',
  streamGenerateContent: 'chat',
  embedContent: 'embeddings',
  batchEmbedContents: 'batch_embeddings',
  countTokens: 'count_tokens',
};

/** `models/{model}:{action}` → what is asked; undefined for an action Gemini does not have. */
export function geminiOperation(action: string): Operation | undefined {
  return ACTIONS[action];
}

function readContents(contents: unknown): { promptText: string; lastUserText: string } {
  if (!Array.isArray(contents)) return { promptText: '', lastUserText: '' };
  let promptText = '';
  let lastUserText = '';
  for (const content of contents) {
    if (content === null || typeof content !== 'object') continue;
    const text = textOf((content as Body).parts);
    promptText += text;
    const role = (content as Body).role;
    // A turn of function results only is not something the user said.
    if ((role === undefined || role === 'user') && text !== '') lastUserText = text;
  }
  return { promptText, lastUserText };
}

const PART_KINDS = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'] as const;

/** A part holds exactly one kind of data; `thought` only marks a text part. */
function checkPart(part: unknown, where: string, problems: Problems): string | undefined {
  if (!isObject(part)) {
    problems.add(`${where} must be an object`);
    return undefined;
  }
  const kinds = PART_KINDS.filter((kind) => part[kind] !== undefined);
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined) {
    problems.add(`${where} must hold exactly one of ${PART_KINDS.join(', ')}`);
    return undefined;
  }
  const value = part[kind];
  if (kind === 'text' && typeof value !== 'string') problems.add(`${where}.text must be a string`);
  if (
    kind === 'inlineData' &&
    !(isObject(value) && typeof value.mimeType === 'string' && typeof value.data === 'string')
  ) {
    problems.add(`${where}.inlineData needs mimeType and data`);
  }
  if (
    kind === 'fileData' &&
    !(isObject(value) && typeof value.fileUri === 'string' && typeof value.mimeType === 'string')
  ) {
    problems.add(`${where}.fileData needs mimeType and fileUri`);
  }
  if (
    kind === 'functionCall' &&
    !(isObject(value) && typeof value.name === 'string' && isObject(value.args ?? {}))
  ) {
    problems.add(`${where}.functionCall needs name and args object`);
  }
  if (
    kind === 'functionResponse' &&
    !(isObject(value) && typeof value.name === 'string' && isObject(value.response))
  ) {
    problems.add(`${where}.functionResponse needs name and a response object`);
  }
  return kind;
}

/**
 * Gemini's rules for `contents`: roles user/model only, never two turns of one role in a row, and the
 * turn after a model turn with function calls answers every one of them by name.
 */
function readGeminiAsks(body: Body, problems: Problems): Asks {
  const contents: unknown[] = Array.isArray(body.contents) ? body.contents : [];
  if (!Array.isArray(body.contents)) problems.add('contents must be an array');
  const images: string[] = [];
  let previousRole: unknown;
  let pendingCalls: string[] = [];
  let toolResults: string[] = [];
  for (const [index, content] of contents.entries()) {
    const where = `contents[${index}]`;
    if (!isObject(content) || (content.role !== 'user' && content.role !== 'model')) {
      problems.add(`${where}.role must be user or model`);
      continue;
    }
    if (content.role === previousRole)
      problems.add(`${where} repeats role ${content.role}; turns must alternate`);
    previousRole = content.role;
    const parts: unknown[] = Array.isArray(content.parts) ? content.parts : [];
    if (parts.length === 0) problems.add(`${where}.parts must not be empty`);
    const calls: string[] = [];
    const answered: string[] = [];
    toolResults = [];
    for (const [position, part] of parts.entries()) {
      const kind = checkPart(part, `${where}.parts[${position}]`, problems);
      if (!isObject(part)) continue;
      const value = kind === undefined ? undefined : part[kind];
      if (!isObject(value)) continue;
      if (kind === 'inlineData' || kind === 'fileData') images.push(String(value.mimeType));
      if (kind === 'functionCall') calls.push(String(value.name));
      if (kind === 'functionResponse') {
        answered.push(String(value.name));
        toolResults.push(JSON.stringify(value.response));
      }
    }
    if (content.role === 'model' && answered.length > 0)
      problems.add(`${where}: a model turn cannot hold function responses`);
    if (content.role === 'user' && calls.length > 0)
      problems.add(`${where}: a user turn cannot hold function calls`);
    if (pendingCalls.length > 0 && [...pendingCalls].sort().join() !== [...answered].sort().join()) {
      problems.add(
        `${where} must answer the function calls ${pendingCalls.join(', ')} (got ${answered.join(', ') || 'none'})`,
      );
    }
    pendingCalls = content.role === 'model' ? calls : [];
  }
  const last = contents.at(-1);
  const endsWithResults = isObject(last) && last.role === 'user' && toolResults.length > 0;
  const tools = readDeclarations(body.tools, problems);
  const callingConfig =
    isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig)
      ? body.toolConfig.functionCallingConfig
      : {};
  const mode = callingConfig.mode ?? 'AUTO';
  if (!['AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(String(mode)))
    problems.add(`toolConfig mode ${String(mode)} is unknown`);
  const allowed = Array.isArray(callingConfig.allowedFunctionNames) ? callingConfig.allowedFunctionNames : [];
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  const schema = config.responseJsonSchema ?? config.responseSchema;
  if (schema !== undefined && config.responseMimeType !== 'application/json') {
    problems.add('a response schema needs responseMimeType application/json');
  }
  const thinking = isObject(config.thinkingConfig) ? config.thinkingConfig : undefined;
  return {
    tools,
    mayCall: tools.length > 0 && mode !== 'NONE',
    ...(allowed.length === 1 ? { forced: String(allowed[0]) } : {}),
    // Gemini has no switch for parallel calls: it may always make several.
    parallel: true,
    toolResults: endsWithResults ? toolResults : [],
    images,
    reasoning:
      thinking !== undefined &&
      Number(thinking.thinkingBudget ?? 1) !== 0 &&
      thinking.includeThoughts === true,
    ...(config.responseMimeType === 'application/json'
      ? { json: schema === undefined ? {} : { schema } }
      : {}),
  };
}

function readDeclarations(tools: unknown, problems: Problems): Asks['tools'] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) {
    problems.add('tools must be an array');
    return [];
  }
  return tools.flatMap((tool: unknown) => {
    const declarations: unknown[] =
      isObject(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
    return declarations.flatMap((declaration: unknown) => {
      if (!isObject(declaration) || typeof declaration.name !== 'string') {
        problems.add('every function declaration needs a name');
        return [];
      }
      return [{ name: declaration.name, schema: declaration.parametersJsonSchema ?? declaration.parameters }];
    });
  });
}

export function parseGeminiCall(
  operation: Operation,
  model: string,
  action: string,
  sse: boolean,
  body: Body,
): ParsedCall {
  const system = textOf(body.systemInstruction ?? body.system_instruction);
  const { promptText, lastUserText } = readContents(body.contents);
  let inputs: string[] = [];
  if (operation === 'embeddings') inputs = [textOf(body.content)];
  if (operation === 'batch_embeddings' && Array.isArray(body.requests)) {
    inputs = body.requests.map((request: unknown) =>
      request !== null && typeof request === 'object' ? textOf((request as Body).content) : '',
    );
  }
  const dimensions = body.outputDimensionality;
  const problems = createProblems();
  const asks = operation === 'chat' ? readGeminiAsks(body, problems) : NO_ASKS;
  const problem = problems.first();
  return {
    operation,
    model,
    stream: action === 'streamGenerateContent',
    promptText: inputs.length > 0 ? inputs.join('') : system + promptText,
    lastUserText,
    inputs,
    includeUsage: true,
    dimensions: typeof dimensions === 'number' && dimensions > 0 ? dimensions : 8,
    base64: false,
    sse,
    asks,
    ...(problem === undefined ? {} : { problem }),
  };
}

function modelEntry(id: string): Body {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: 'Served by the llmgw testkit.',
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 8192,
    supportedGenerationMethods: embedding
      ? ['embedContent', 'batchEmbedContents']
      : ['generateContent', 'countTokens'],
  };
}

/** Thinking is counted apart (`thoughtsTokenCount`), outside `candidatesTokenCount`, inside the total. */
function usageOf(reply: ReplyPlan): Body {
  return {
    promptTokenCount: reply.promptTokens,
    candidatesTokenCount: reply.completionTokens,
    ...(reply.reasoningTokens > 0 ? { thoughtsTokenCount: reply.reasoningTokens } : {}),
    totalTokenCount: reply.promptTokens + reply.completionTokens + reply.reasoningTokens,
  };
}

/** Thought summary first, then the text or the function calls (args an object, no id). */
function answerParts(reply: ReplyPlan): Body[] {
  return [
    ...(reply.reasoning === '' ? [] : [{ text: reply.reasoning, thought: true }]),
    ...(reply.toolCalls.length > 0
      ? reply.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.args } }))
      : [{ text: reply.text }]),
  ];
}

function answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse {
  switch (call.operation) {
    case 'models':
      return json(200, { models: models.map(modelEntry) });
    case 'model':
      return models.includes(call.model) ? json(200, modelEntry(call.model)) : modelNotFound(call);
    case 'embeddings':
      return json(200, { embedding: { values: embed(call.inputs[0] ?? '', call.dimensions) } });
    case 'batch_embeddings':
      return json(200, {
        embeddings: call.inputs.map((input) => ({ values: embed(input, call.dimensions) })),
      });
    case 'count_tokens':
      return json(200, { totalTokens: reply.promptTokens });
    default:
      return json(200, {
        candidates: [
          { content: { role: 'model', parts: answerParts(reply) }, finishReason: 'STOP', index: 0 },
        ],
        usageMetadata: usageOf(reply),
        modelVersion: call.model,
        responseId: nextId('resp-'),
      });
  }
}

/**
 * Every chunk is a whole GenerateContentResponse with only the new text. The finish reason and full
 * usage travel in a last, text-less chunk so a cut stream never looks finished.
 */
function stream(call: ParsedCall, reply: ReplyPlan): StreamPlan {
  const responseId = nextId('resp-');
  const partial = { promptTokenCount: reply.promptTokens, totalTokenCount: reply.promptTokens };
  const chunk = (parts: Body[], last: boolean): Body => ({
    candidates: [
      {
        content: { role: 'model', parts },
        ...(last ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: last ? usageOf(reply) : partial,
    modelVersion: call.model,
    responseId,
  });
  // Thoughts first, then words; a function call arrives whole, one per event.
  const events: Body[][] = [
    ...(reply.reasoning === '' ? [] : [[{ text: reply.reasoning, thought: true }]]),
    ...reply.pieces.map((piece) => [{ text: piece }]),
    ...reply.toolCalls.map((planned) => [{ functionCall: { name: planned.name, args: planned.args } }]),
  ];
  if (call.sse) {
    return {
      headers: SSE_HEADERS,
      head: '',
      pieces: events.map((parts) => crlfDataFrame(chunk(parts, false))),
      tail: crlfDataFrame(chunk([{ text: '' }], true)),
    };
  }
  // Without alt=sse Google streams one JSON array that grows element by element.
  return {
    headers: { 'content-type': 'application/json' },
    head: '[',
    pieces: events.map(
      (parts, index) => `${index === 0 ? '' : ','}\r\n${JSON.stringify(chunk(parts, false))}`,
    ),
    tail: `${events.length === 0 ? '' : ','}\r\n${JSON.stringify(chunk([{ text: '' }], true))}]`,
  };
}

function googleError(code: number, status: string, message: string, details: Body[] = []): Body {
  return { error: { code, message, status, ...(details.length > 0 ? { details } : {}) } };
}

function modelNotFound(call: ParsedCall): WireResponse {
  return json(
    404,
    googleError(
      404,
      'NOT_FOUND',
      `models/${call.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
    ),
  );
}

function quotaExhausted(behavior: StatusBehavior, call: ParsedCall, perDay: boolean): Body {
  const retrySec = behavior.retryAfterSec ?? (perDay ? undefined : 30);
  const quotaId = perDay
    ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'
    : 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier';
  const details: Body[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId,
          quotaDimensions: { location: 'global', model: call.model },
          quotaValue: perDay ? '200' : '15',
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        {
          description: 'Learn more about Gemini API quotas',
          url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
        },
      ],
    },
  ];
  // Real per-day answers sometimes carry a short RetryInfo too (a trap); tests opt in via retryAfterSec.
  if (retrySec !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retrySec}s` });
  }
  const retryText = retrySec === undefined ? '' : ` Please retry in ${retrySec}s.`;
  return googleError(
    429,
    'RESOURCE_EXHAUSTED',
    `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.${retryText}`,
    details,
  );
}

/**
 * Gemini has no 401, 402 or 529: a bad key is 400 API_KEY_INVALID, an exhausted quota is a per-day
 * 429, overload is 503. Retry hints travel only in the body (RetryInfo), never as a header.
 */
export function geminiErrorBody(
  behavior: StatusBehavior,
  { call, key }: FailureContext,
): {
  status: number;
  body: Body;
} {
  switch (behavior.status) {
    case 400:
      return behavior.variant === 'context_length'
        ? {
            status: 400,
            body: googleError(
              400,
              'INVALID_ARGUMENT',
              'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
            ),
          }
        : {
            status: 400,
            body: googleError(400, 'INVALID_ARGUMENT', call.problem ?? 'Invalid JSON payload received.'),
          };
    case 401:
      if (key === '') {
        return {
          status: 403,
          body: googleError(
            403,
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          ),
        };
      }
      return {
        status: 400,
        body: googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
          {
            '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
            locale: 'en-US',
            message: 'API key not valid. Please pass a valid API key.',
          },
        ]),
      };
    case 402:
      return { status: 429, body: quotaExhausted(behavior, call, true) };
    case 403:
      return {
        status: 403,
        body: googleError(403, 'PERMISSION_DENIED', 'Permission denied: Consumer has been suspended.', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'CONSUMER_SUSPENDED',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ]),
      };
    case 404:
      return { status: 404, body: JSON.parse(modelNotFound(call).body) as Body };
    case 429: {
      const perDay = behavior.variant === 'per_day' || behavior.variant === 'insufficient_quota';
      return { status: 429, body: quotaExhausted(behavior, call, perDay) };
    }
    case 503:
    case 529:
      return {
        status: 503,
        body: googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
      };
    case 504:
      return {
        status: 504,
        body: googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'),
      };
    default:
      return {
        status: behavior.status,
        body: googleError(
          behavior.status,
          'INTERNAL',
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        ),
      };
  }
}

function failure(behavior: StatusBehavior, context: FailureContext): WireResponse {
  const { status, body } = geminiErrorBody(behavior, context);
  // Recorded: a stream that fails before starting says text/event-stream but sends plain JSON.
  const contentType = context.call.stream && context.call.sse ? 'text/event-stream' : 'application/json';
  return { status, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}

function streamFailure(status: FailureStatus, call: ParsedCall): string {
  const { body } = geminiErrorBody({ kind: 'status', status }, { call, key: 'x', now: Date.now() });
  return call.sse ? crlfDataFrame(body) : `,\r\n${JSON.stringify(body)}]`;
}

export const geminiDialect: Dialect = { provider: 'gemini', answer, stream, failure, streamFailure };

/**
 * Gemini's OpenAI-compatible endpoint (`/v1beta/openai/...`): OpenAI bodies and streams, but errors
 * are Google-shaped and wrapped in a JSON array.
 */
export const geminiCompatDialect: Dialect = {
  ...openAiDialect,
  failure(behavior, context) {
    const { status, body } = geminiErrorBody(behavior, context);
    return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify([body]) };
  },
};

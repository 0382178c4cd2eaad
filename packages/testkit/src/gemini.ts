import type { FailureStatus, StatusBehavior } from './behaviors.js';
import { openAiDialect } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { embed, textOf } from './reply.js';
import { crlfDataFrame } from './sse.js';
import {
  type Dialect,
  type FailureContext,
  json,
  nextId,
  type Operation,
  type ParsedCall,
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
    if (role === undefined || role === 'user') lastUserText = text;
  }
  return { promptText, lastUserText };
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

function usageOf(reply: ReplyPlan): Body {
  return {
    promptTokenCount: reply.promptTokens,
    candidatesTokenCount: reply.completionTokens,
    totalTokenCount: reply.promptTokens + reply.completionTokens,
  };
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
          { content: { role: 'model', parts: [{ text: reply.text }] }, finishReason: 'STOP', index: 0 },
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
  const chunk = (text: string, last: boolean): Body => ({
    candidates: [
      {
        content: { role: 'model', parts: [{ text }] },
        ...(last ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: last ? usageOf(reply) : partial,
    modelVersion: call.model,
    responseId,
  });
  if (call.sse) {
    return {
      headers: SSE_HEADERS,
      head: '',
      pieces: reply.pieces.map((piece) => crlfDataFrame(chunk(piece, false))),
      tail: crlfDataFrame(chunk('', true)),
    };
  }
  // Without alt=sse Google streams one JSON array that grows element by element.
  return {
    headers: { 'content-type': 'application/json' },
    head: '[',
    pieces: reply.pieces.map(
      (piece, index) => `${index === 0 ? '' : ','}\r\n${JSON.stringify(chunk(piece, false))}`,
    ),
    tail: `${reply.pieces.length === 0 ? '' : ','}\r\n${JSON.stringify(chunk('', true))}]`,
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
        : { status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.') };
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

import { LlmgwError } from '@llmgw/core';
import type { ChatCompletion, EmbeddingsResponse, FinishReason, Usage } from '../openai-types.js';
import {
  arrayField,
  isRecord,
  type JsonRecord,
  numberField,
  parseJsonObject,
  recordField,
  recordsOf,
  stringField,
} from '../shared/json.js';

const CONTENT_FILTER = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
]);

/** Gemini finish reasons in OpenAI's vocabulary; reasons OpenAI has no word for read as a plain stop. */
export function mapFinishReason(reason: string | undefined): FinishReason | null {
  if (reason === undefined || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (CONTENT_FILTER.has(reason)) return 'content_filter';
  return 'stop';
}

/** Thinking tokens are billed as output but not counted in `candidatesTokenCount`, so add them. */
export function mapUsage(metadata: JsonRecord | undefined): Usage | undefined {
  if (!metadata) return undefined;
  const prompt = numberField(metadata, 'promptTokenCount') ?? 0;
  const thoughts = numberField(metadata, 'thoughtsTokenCount') ?? 0;
  const completion = (numberField(metadata, 'candidatesTokenCount') ?? 0) + thoughts;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: numberField(metadata, 'totalTokenCount') ?? prompt + completion,
  };
  const cached = numberField(metadata, 'cachedContentTokenCount');
  if (cached !== undefined) usage.prompt_tokens_details = { cached_tokens: cached };
  if (thoughts > 0) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

/** Visible text of a candidate: thought summaries (`thought: true`) are not the answer. */
export function candidateText(candidate: JsonRecord): string {
  const parts = recordsOf(arrayField(recordField(candidate, 'content'), 'parts'));
  return parts
    .filter((part) => part.thought !== true && typeof part.text === 'string')
    .map((part) => String(part.text))
    .join('');
}

export function completionId(body: JsonRecord, fallback: string): string {
  const responseId = stringField(body, 'responseId');
  return responseId ? `chatcmpl-${responseId}` : fallback;
}

export function parseChatResponse(
  status: number,
  headers: Record<string, string>,
  bodyText: string,
): ChatCompletion {
  const body = parseJsonObject(bodyText, 'generateContent response');
  const candidates = recordsOf(arrayField(body, 'candidates'));
  const blocked = stringField(recordField(body, 'promptFeedback'), 'blockReason');
  if (candidates.length === 0 && !blocked) {
    throw new LlmgwError('upstream generateContent response has no candidates', {
      reason: 'server_error',
      status,
    });
  }
  const choices: ChatCompletion['choices'] =
    candidates.length > 0
      ? candidates.map((candidate, position) => ({
          index: numberField(candidate, 'index') ?? position,
          message: { role: 'assistant', content: candidateText(candidate) },
          logprobs: null,
          finish_reason: mapFinishReason(stringField(candidate, 'finishReason')) ?? 'stop',
        }))
      : // A blocked prompt has no candidates; OpenAI's nearest shape is an empty filtered answer.
        [
          {
            index: 0,
            message: { role: 'assistant', content: '' },
            logprobs: null,
            finish_reason: 'content_filter',
          },
        ];
  const completion: ChatCompletion = {
    id: completionId(body, `chatcmpl-${headers['x-request-id'] ?? crypto.randomUUID()}`),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: stringField(body, 'modelVersion') ?? '',
    choices,
  };
  const usage = mapUsage(recordField(body, 'usageMetadata'));
  if (usage) completion.usage = usage;
  return completion;
}

function embeddingValues(record: unknown): number[] {
  const values = isRecord(record) ? record.values : undefined;
  return Array.isArray(values) ? values.filter((value): value is number => typeof value === 'number') : [];
}

/** Both `embedContent` (`embedding`) and `batchEmbedContents` (`embeddings`) answers; no usage is given. */
export function parseEmbeddingsResponse(bodyText: string, model: string): EmbeddingsResponse {
  const body = parseJsonObject(bodyText, 'embeddings response');
  const vectors = isRecord(body.embedding) ? [body.embedding] : arrayField(body, 'embeddings');
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: embeddingValues(vector),
    })),
    model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}

/** Names come as `models/gemini-2.0-flash`; the gateway speaks bare ids. */
export function parseModelsResponse(bodyText: string): string[] {
  const body = parseJsonObject(bodyText, 'models list');
  return recordsOf(arrayField(body, 'models')).flatMap((model) => {
    const name = stringField(model, 'name');
    return name ? [name.replace(/^models\//, '')] : [];
  });
}

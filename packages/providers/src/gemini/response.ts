import { LlmgwError } from '@llmgw/core';
import type {
  AssistantMessage,
  ChatCompletion,
  EmbeddingsResponse,
  FinishReason,
  ToolCall,
  Usage,
} from '../openai-types.js';
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
import { stableToolCallId } from '../shared/tools.js';

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

/** What one candidate (or one streamed piece of it) says, sorted into OpenAI's message fields. */
export interface CandidateParts {
  text: string;
  /** Thought summaries (`thought: true` parts), returned as `reasoning_content`. */
  reasoning: string;
  toolCalls: ToolCall[];
}

/**
 * `firstToolIndex`: how many calls this candidate made in earlier stream chunks, so ids and indexes
 * keep counting across chunks exactly as they do in the whole answer.
 */
export function candidateParts(candidate: JsonRecord, firstToolIndex = 0): CandidateParts {
  const parts = recordsOf(arrayField(recordField(candidate, 'content'), 'parts'));
  const out: CandidateParts = { text: '', reasoning: '', toolCalls: [] };
  for (const part of parts) {
    const call = recordField(part, 'functionCall');
    if (call) {
      const name = stringField(call, 'name') ?? '';
      const args = recordField(call, 'args') ?? {};
      const index = firstToolIndex + out.toolCalls.length;
      out.toolCalls.push({
        id: stringField(call, 'id') ?? stableToolCallId(name, args, index),
        type: 'function',
        function: { name, arguments: JSON.stringify(args) },
      });
    } else if (typeof part.text === 'string') {
      if (part.thought === true) out.reasoning += part.text;
      else out.text += part.text;
    }
  }
  return out;
}

/** A `functionCall` ends the turn with reason STOP; OpenAI says `tool_calls` for that. */
export function finishWithTools(finish: FinishReason | null, madeCalls: boolean): FinishReason | null {
  return finish === 'stop' && madeCalls ? 'tool_calls' : finish;
}

function candidateMessage(parts: CandidateParts): AssistantMessage {
  const message: AssistantMessage = {
    role: 'assistant',
    content: parts.toolCalls.length > 0 && parts.text === '' ? null : parts.text,
  };
  if (parts.reasoning !== '') message.reasoning_content = parts.reasoning;
  if (parts.toolCalls.length > 0) message.tool_calls = parts.toolCalls;
  return message;
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
      ? candidates.map((candidate, position) => {
          const parts = candidateParts(candidate);
          const finish = mapFinishReason(stringField(candidate, 'finishReason')) ?? 'stop';
          return {
            index: numberField(candidate, 'index') ?? position,
            message: candidateMessage(parts),
            logprobs: null,
            finish_reason: finishWithTools(finish, parts.toolCalls.length > 0) ?? 'stop',
          };
        })
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

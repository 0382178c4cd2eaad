import { LlmgwError, type UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../openai-types.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import {
  compact,
  isSystemRole,
  joinSystemText,
  maxOutputTokens,
  messageText,
  stopList,
} from '../shared/messages.js';
import type { CallContext } from '../types.js';
import { modelResource } from './config.js';

interface GeminiContent {
  role: 'user' | 'model';
  parts: Array<{ text: string }>;
}

/**
 * OpenAI messages → `contents`: assistant becomes `model`, system and developer messages go to
 * `systemInstruction`, consecutive turns of one role are merged (Gemini wants them alternating).
 * Tool messages and non-text parts are left for the tools/multimodal issue.
 */
export function toGeminiBody(body: ChatCompletionRequest): Record<string, unknown> {
  const contents: GeminiContent[] = [];
  for (const message of body.messages) {
    if (isSystemRole(message) || (message.role !== 'user' && message.role !== 'assistant')) continue;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const text = messageText(message.content);
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push({ text });
    else contents.push({ role, parts: [{ text }] });
  }
  const system = joinSystemText(body.messages);
  const generationConfig = compact({
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    maxOutputTokens: maxOutputTokens(body),
    stopSequences: stopList(body.stop),
    candidateCount: body.n ?? undefined,
    seed: body.seed ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
  });
  return compact({
    systemInstruction: system ? { parts: [{ text: system }] } : undefined,
    contents,
    generationConfig: Object.keys(generationConfig).length > 0 ? generationConfig : undefined,
  });
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  const method = body.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, `${modelResource(body.model)}:${method}`),
    headers: requestHeaders(ctx.settings, ctx.credential, {
      'content-type': 'application/json',
      accept: body.stream ? 'text/event-stream' : 'application/json',
    }),
    body: JSON.stringify(toGeminiBody(body)),
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

import type { UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../openai-types.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import type { CallContext } from '../types.js';
import { JSON_HEADERS, PROBE_PROMPT, SSE_HEADERS } from './config.js';

/** Passthrough: the body is already OpenAI-shaped, and fields we do not know are the upstream's business. */
export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'chat/completions'),
    headers: requestHeaders(ctx.settings, ctx.credential, body.stream ? SSE_HEADERS : JSON_HEADERS),
    body: JSON.stringify(body),
  };
}

export function buildEmbeddingsRequest(ctx: CallContext, body: EmbeddingsRequest): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'embeddings'),
    headers: requestHeaders(ctx.settings, ctx.credential, JSON_HEADERS),
    body: JSON.stringify(body),
  };
}

export function buildModelsRequest(ctx: CallContext): UpstreamRequest {
  return {
    method: 'GET',
    url: joinUrl(ctx.settings.baseUrl, 'models'),
    headers: requestHeaders(ctx.settings, ctx.credential, { accept: 'application/json' }),
  };
}

/**
 * `max_tokens` rather than `max_completion_tokens`: every compatible server knows the old name,
 * while strict ones (Mistral) reject the new one with 422.
 */
export function buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest {
  if (ctx.settings.probeMethod === 'models') return buildModelsRequest(ctx);
  return buildChatRequest(ctx, {
    model,
    messages: [{ role: 'user', content: PROBE_PROMPT }],
    max_tokens: 1,
    stream: false,
  });
}

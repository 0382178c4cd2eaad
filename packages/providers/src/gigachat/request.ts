import { randomUUID } from 'node:crypto';
import type { UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../openai-types.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import { compact, isSystemRole, joinSystemText, maxOutputTokens, messageText } from '../shared/messages.js';
import type { CallContext, ProviderSettings } from '../types.js';
import { gigachatDefaults } from './config.js';

/**
 * OpenAI chat → GigaChat v1: the same shape, but one system message and only first (else 422), text
 * content only, and no OpenAI-only fields (stop, seed, stream_options…), which GigaChat rejects or
 * ignores. GigaChat's own knobs pass through when the caller sends them.
 */
export function toGigachatBody(body: ChatCompletionRequest): Record<string, unknown> {
  const system = joinSystemText(body.messages);
  const turns = body.messages
    .filter((message) => !isSystemRole(message) && (message.role === 'user' || message.role === 'assistant'))
    .map((message) => ({ role: message.role, content: messageText(message.content) }));
  return compact({
    model: body.model,
    messages: system === '' ? turns : [{ role: 'system', content: system }, ...turns],
    temperature: body.temperature ?? undefined,
    top_p: body.top_p ?? undefined,
    n: body.n ?? undefined,
    stream: body.stream ? true : undefined,
    max_tokens: maxOutputTokens(body),
    repetition_penalty: body.repetition_penalty,
    update_interval: body.update_interval,
    profanity_check: body.profanity_check,
  });
}

function apiHeaders(ctx: CallContext, accept: string): Record<string, string> {
  const defaults: Record<string, string> = { 'content-type': 'application/json', accept };
  if (ctx.requestId) defaults['x-request-id'] = ctx.requestId;
  return requestHeaders(ctx.settings, ctx.credential, defaults);
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'chat/completions'),
    headers: apiHeaders(ctx, body.stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(toGigachatBody(body)),
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

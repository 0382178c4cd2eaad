import type { UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest } from '../openai-types.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import {
  compact,
  isSystemRole,
  joinSystemText,
  maxOutputTokens,
  messageText,
  stopList,
} from '../shared/messages.js';
import type { CallContext, ProviderSettings } from '../types.js';
import { anthropicDefaults, anthropicHeaders } from './config.js';

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Array<{ type: 'text'; text: string }>;
}

/**
 * OpenAI chat → Messages: every system/developer message joins the top-level `system`, consecutive
 * turns of one role merge into one message of several text blocks, and `max_tokens` (required here)
 * falls back to the provider's default. Tool messages wait for the tools issue.
 */
export function toAnthropicBody(
  body: ChatCompletionRequest,
  settings: ProviderSettings,
): Record<string, unknown> {
  const messages: AnthropicMessage[] = [];
  for (const message of body.messages) {
    if (isSystemRole(message) || (message.role !== 'user' && message.role !== 'assistant')) continue;
    const text = messageText(message.content);
    // Anthropic rejects empty text blocks; an empty turn carries no meaning anyway.
    if (text === '') continue;
    const last = messages.at(-1);
    if (last && last.role === message.role) last.content.push({ type: 'text', text });
    else messages.push({ role: message.role, content: [{ type: 'text', text }] });
  }
  const system = joinSystemText(body.messages);
  return compact({
    model: body.model,
    max_tokens: maxOutputTokens(body) ?? settings.maxTokensDefault ?? anthropicDefaults.maxTokensDefault,
    system: system === '' ? undefined : system,
    messages,
    // Anthropic's range is 0–1 where OpenAI's is 0–2; above 1 is "as random as it gets" for both.
    temperature: typeof body.temperature === 'number' ? Math.min(body.temperature, 1) : undefined,
    top_p: body.top_p ?? undefined,
    stop_sequences: stopList(body.stop),
    stream: body.stream ? true : undefined,
    metadata: body.user ? { user_id: body.user } : undefined,
  });
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'messages'),
    headers: requestHeaders(
      ctx.settings,
      ctx.credential,
      anthropicHeaders(ctx.settings, body.stream === true),
    ),
    body: JSON.stringify(toAnthropicBody(body, ctx.settings)),
  };
}

export function buildModelsRequest(ctx: CallContext): UpstreamRequest {
  return {
    method: 'GET',
    url: joinUrl(ctx.settings.baseUrl, 'models?limit=1000'),
    headers: requestHeaders(ctx.settings, ctx.credential, anthropicHeaders(ctx.settings, false)),
  };
}

export function buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest {
  if (ctx.settings.probeMethod === 'models') return buildModelsRequest(ctx);
  return buildChatRequest(ctx, { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });
}

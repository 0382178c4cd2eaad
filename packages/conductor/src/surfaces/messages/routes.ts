import type { ChatCompletion } from '@llmgw/providers';
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../../http/app-deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { bearerAuth } from '../../http/auth.js';
import type { ParsedRequest } from '../../http/parse-request.js';
import { jsonResponse, relayThroughSurface, type Surface, sseResponse } from '../shared/relay-surface.js';
import { translateChatStream } from '../shared/translate-stream.js';
import { mapChatCompletion } from './chat-to-message.js';
import { anthropicErrorBody, messagesErrorResponse } from './errors.js';
import { mapMessagesRequest } from './request-to-chat.js';
import { createMessagesStreamTranslator } from './stream-translator.js';

const surface: Surface<ParsedRequest> = {
  translate: (body) => mapMessagesRequest(body),
  chatOf: (plan) => plan,
  errorResponse: messagesErrorResponse,
};

/**
 * `POST /v1/messages` (Anthropic Messages API, inbound), translated to chat and relayed like chat
 * completions. It carries its own auth: the gateway's tokens as `x-api-key` (Anthropic SDKs) or
 * bearer, refused in Anthropic's error shape. Mount it before the `/v1/*` bearer middleware.
 */
export function messagesRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const auth = bearerAuth({
    tokens: deps.config.gateway.auth_tokens,
    acceptApiKeyHeader: true,
    refuse: (message) =>
      new Response(anthropicErrorBody('authentication_error', message), {
        status: 401,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      }),
  });
  routes.post('/messages', auth, (c) => createMessage(c, deps));
  return routes;
}

async function createMessage(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const outcome = await relayThroughSurface(c, deps, surface);
  if (outcome.kind === 'refused') return outcome.response;
  const { plan, result } = outcome;
  const requestId = result.headers['x-request-id'];
  // Anthropic SDKs read their request id from `request-id`.
  if (requestId !== undefined) result.headers['request-id'] = requestId;
  switch (result.kind) {
    case 'error':
      return messagesErrorResponse(result.error, result.headers);
    case 'json':
      return jsonResponse(mapChatCompletion(result.body as ChatCompletion), result.status, result.headers);
    case 'stream':
      return sseResponse(
        translateChatStream(result.body, createMessagesStreamTranslator(plan.model)),
        result.headers,
      );
  }
}

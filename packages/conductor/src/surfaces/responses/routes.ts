import type { ChatCompletion } from '@llmgw/providers';
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../../http/app-deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { jsonResponse, relayThroughSurface, type Surface, sseResponse } from '../shared/relay-surface.js';
import { translateChatStream } from '../shared/translate-stream.js';
import { mapChatCompletion } from './chat-to-response.js';
import { responsesErrorResponse } from './errors.js';
import { mapResponsesRequest, type ResponsesChatRequest } from './request-to-chat.js';
import { createResponsesStreamTranslator } from './stream-translator.js';

const surface: Surface<ResponsesChatRequest> = {
  translate: (body) => mapResponsesRequest(body),
  chatOf: (plan) => plan.chat,
  nativeOf: (body) => ({ kind: 'responses', body }),
  errorResponse: responsesErrorResponse,
};

/**
 * `POST /v1/responses` (OpenAI Responses API), relayed like chat completions: each attempt either
 * passes the body through to a provider that serves the API (`responses_api: true`) or sends its
 * chat translation; the answer comes back as sent, or translated back, accordingly.
 */
export function responsesRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.post('/responses', (c) => createResponse(c, deps));
  // Clients that fetch, cancel or delete a stored response learn why there is none, not just "no route".
  routes.on(['GET', 'DELETE'], '/responses/:id/*', notStored);
  routes.on(['GET', 'DELETE'], '/responses/:id', notStored);
  routes.post('/responses/:id/cancel', notStored);
  return routes;
}

function notStored(): Response {
  return responsesErrorResponse(
    {
      status: 404,
      message:
        'This gateway does not store responses, so none can be retrieved, cancelled or deleted; ' +
        'send the whole conversation in "input" of POST /v1/responses.',
      type: 'invalid_request_error',
      code: 'not_found',
    },
    {},
  );
}

async function createResponse(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const outcome = await relayThroughSurface(c, deps, surface);
  if (outcome.kind === 'refused') return outcome.response;
  const { plan, result } = outcome;
  switch (result.kind) {
    case 'error':
      return responsesErrorResponse(result.error, result.headers);
    case 'json':
      if (result.format === 'responses') return jsonResponse(result.body, result.status, result.headers);
      return jsonResponse(
        mapChatCompletion(result.body as ChatCompletion, plan.echo),
        result.status,
        result.headers,
      );
    case 'stream':
      if (result.format === 'responses') return sseResponse(result.body, result.headers);
      return sseResponse(
        translateChatStream(result.body, createResponsesStreamTranslator(plan.echo, plan.chat.model)),
        result.headers,
      );
  }
}

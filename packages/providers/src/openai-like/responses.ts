import { LlmgwError, type UpstreamRequest } from '@llmgw/core';
import type { Usage } from '../openai-types.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import { isRecord, parseJsonObject } from '../shared/json.js';
import type { CallContext, ResponsesApi } from '../types.js';
import { JSON_HEADERS, SSE_HEADERS } from './config.js';
import { classifyFailure } from './errors.js';
import { createResponsesStreamParser } from './responses-stream.js';
import { responsesUsage } from './responses-usage.js';

/** Passthrough: the client's Responses body, already carrying the upstream model name. */
export function buildResponsesRequest(ctx: CallContext, body: Record<string, unknown>): UpstreamRequest {
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'responses'),
    headers: requestHeaders(ctx.settings, ctx.credential, body.stream === true ? SSE_HEADERS : JSON_HEADERS),
    body: JSON.stringify(body),
  };
}

/**
 * The Response travels as sent; only a body that is no Response, or one that reports its own failure
 * (`status: "failed"` with `error`), is turned into a verdict, judged like any OpenAI error body.
 */
export function parseResponsesResponse(
  status: number,
  bodyText: string,
): { body: Record<string, unknown>; usage: Usage | undefined } {
  const body = parseJsonObject(bodyText, 'response');
  if (isRecord(body.error)) {
    // The 2xx status says nothing about this failure: its error object alone is judged.
    const verdict = classifyFailure({ body: JSON.stringify({ error: body.error }) }, Date.now());
    throw new LlmgwError(verdict.message, { reason: verdict.reason, status });
  }
  if (!Array.isArray(body.output)) {
    throw new LlmgwError('upstream response has no output', { reason: 'server_error', status });
  }
  return { body, usage: responsesUsage(body.usage) };
}

export const openAiResponsesApi: ResponsesApi = {
  buildRequest: buildResponsesRequest,
  parseResponse: parseResponsesResponse,
  createStreamParser: createResponsesStreamParser,
};

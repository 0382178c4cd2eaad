import { type LlmgwConfig, providerSettings } from '@llmgw/config';
import { adapterFor, type ResponsesApi } from '@llmgw/providers';
import type { NativeRequest } from '../contracts.js';
import { attemptNativeStream } from './attempt-native-stream.js';
import type { AttemptContext, AttemptStep } from './attempt-step.js';
import { attemptWholeWith } from './whole-attempt.js';

/**
 * The native API a leased provider serves for this request, or undefined (then the attempt is chat).
 * Decided per attempt: a tier can mix providers that have the API with ones that do not.
 */
export function nativeApiFor(
  config: LlmgwConfig,
  provider: string,
  native: NativeRequest,
): ResponsesApi | undefined {
  const settings = providerSettings(config, provider);
  if (native.kind !== 'responses' || !settings.responses_api) return undefined;
  return adapterFor(settings.type).responses;
}

/** One attempt in the provider's own API: same lease, failover, limits and records as a chat attempt. */
export function attemptNative(
  ctx: AttemptContext,
  api: ResponsesApi,
  native: NativeRequest,
  onEnd: () => void,
): Promise<AttemptStep> {
  const body = { ...native.body, model: ctx.lease.model };
  return ctx.input.stream ? attemptNativeStream(ctx, api, body, onEnd) : attemptNativeJson(ctx, api, body);
}

function attemptNativeJson(
  ctx: AttemptContext,
  api: ResponsesApi,
  body: Record<string, unknown>,
): Promise<AttemptStep> {
  return attemptWholeWith(ctx, {
    build: (_target, call) => api.buildRequest(call, body),
    parse: (_target, response, text) => api.parseResponse(response.status, text),
    format: 'responses',
  });
}

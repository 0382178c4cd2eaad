import { type LlmgwConfig, providerSettings } from '@llmgw/config';
import { adapterFor, type ResponsesApi, type Usage } from '@llmgw/providers';
import { sendUpstream, type UpstreamTarget } from '@llmgw/upstream';
import type { NativeRequest } from '../contracts.js';
import { type AttemptEnd, classifyAttemptError, droppedLogger } from './attempt-end.js';
import { attemptNativeStream } from './attempt-native-stream.js';
import { type AttemptContext, type AttemptStep, leaseTarget, stepAfter } from './attempt-step.js';

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

async function attemptNativeJson(
  ctx: AttemptContext,
  api: ResponsesApi,
  body: Record<string, unknown>,
): Promise<AttemptStep> {
  const { deps, input, lease, abort } = ctx;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let ttfbMs: number | null = null;
  let status: number | null = null;
  let end: AttemptEnd;
  let answer: { body: Record<string, unknown>; usage: Usage | undefined } | undefined;
  try {
    target = leaseTarget(ctx);
    const call = await sendUpstream(deps.upstream, target, (call) => api.buildRequest(call, body), {
      signal: abort.signal,
      requestId: input.requestId,
      onDropped: droppedLogger(deps.log, input.requestId, lease.provider),
    });
    ttfbMs = call.ttfbMs;
    status = call.response.status;
    const hints = target.adapter.readRateLimitHints(call.response.headers, deps.now());
    answer = api.parseResponse(status, await call.response.text());
    end = { kind: 'ok', status, usage: answer.usage, hints };
  } catch (error) {
    end = classifyAttemptError(error, {
      adapter: target?.adapter,
      cause: abort.cause(),
      firstByteTimeoutMs: deps.config.gateway.first_byte_timeout,
      now: deps.now(),
    });
    if (end.kind === 'failure' && end.status !== undefined) status = end.status;
  } finally {
    abort.dispose();
  }
  ctx.journey.settle(lease, end, { startedAt, endedAt: deps.now(), ttfbMs, status });
  if (end.kind !== 'ok') return stepAfter(ctx, end);
  const headers = ctx.journey.headers();
  return {
    kind: 'done',
    result: { kind: 'json', status: 200, body: answer?.body, headers, format: 'responses' },
    streaming: false,
  };
}

import type { ResponsesApi } from '@llmgw/providers';
import { sendUpstream, type UpstreamTarget } from '@llmgw/upstream';
import { type AttemptEnd, classifyAttemptError, droppedLogger } from './attempt-end.js';
import { type AttemptContext, type AttemptStep, leaseTarget, stepAfter } from './attempt-step.js';
import {
  createNativeSource,
  createNativeSseBody,
  type NativePull,
  type NativeSource,
} from './native-stream.js';
import { settleStreamEnd } from './stream-end.js';

/**
 * One native stream attempt, under the chat stream's rules: until the first whole event is ready
 * nothing has reached the client, so any failure (or no first event within
 * `gateway.first_byte_timeout`) still fails over; from then on the stream is the client's.
 */
export async function attemptNativeStream(
  ctx: AttemptContext,
  api: ResponsesApi,
  body: Record<string, unknown>,
  onEnd: () => void,
): Promise<AttemptStep> {
  const { deps, input, lease, abort } = ctx;
  const firstByteTimeoutMs = deps.config.gateway.first_byte_timeout;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let status: number | null = null;
  let source: NativeSource | undefined;
  const judge = (error: unknown): AttemptEnd =>
    classifyAttemptError(error, {
      adapter: target?.adapter,
      cause: abort.cause(),
      firstByteTimeoutMs,
      now: deps.now(),
    });

  abort.armFirstByte(firstByteTimeoutMs);
  let first: NativePull;
  try {
    target = leaseTarget(ctx);
    const call = await sendUpstream(deps.upstream, target, (call) => api.buildRequest(call, body), {
      signal: abort.signal,
      requestId: input.requestId,
      onDropped: droppedLogger(deps.log, input.requestId, lease.provider),
    });
    status = call.response.status;
    source = createNativeSource(call.response, api.createStreamParser());
    first = await source.next();
    if (first.kind === 'broken') throw first.error;
  } catch (error) {
    void source?.close();
    const end = judge(error);
    abort.dispose();
    if (end.kind === 'failure' && end.status !== undefined) status = end.status;
    ctx.journey.settle(lease, end, { startedAt, endedAt: deps.now(), ttfbMs: null, status });
    // An ok end is impossible here: reaching the catch means the attempt failed.
    return end.kind === 'ok' ? stepAfter(ctx, { kind: 'internal', error }) : stepAfter(ctx, end);
  }
  abort.disarmFirstByte();
  const ttfbMs = deps.now() - startedAt;
  const headers = ctx.journey.headers({ lease, word: 'ok' });
  const stream = createNativeSseBody({
    source,
    first,
    abort,
    judge,
    onEnd: settleStreamEnd(ctx, { startedAt, ttfbMs, status }, onEnd),
  });
  return {
    kind: 'done',
    result: { kind: 'stream', body: stream, headers, format: 'responses' },
    streaming: true,
  };
}

import type { ChatCompletionRequest, ProviderAdapter } from '@llmgw/providers';
import { sendUpstream, type UpstreamTarget } from '@llmgw/upstream';
import { type AttemptEnd, classifyAttemptError, droppedLogger } from './attempt-end.js';
import { type AttemptContext, type AttemptStep, leaseTarget, stepAfter } from './attempt-step.js';
import { createSseFeed } from './sse-body.js';
import { sseResult } from './sse-feed.js';
import { settleStreamEnd } from './stream-end.js';
import { createStreamSource, type StreamPull, type StreamSource } from './stream-source.js';

/**
 * One stream attempt. Until the first chunk is ready nothing has reached the client, so any failure
 * (including no first chunk within `gateway.first_byte_timeout`) still fails over; from then on the
 * stream is the client's and `onEnd` settles the attempt whenever and however it finishes.
 */
export async function attemptStream(ctx: AttemptContext, onEnd: () => void): Promise<AttemptStep> {
  const { deps, input, lease, abort } = ctx;
  const firstByteTimeoutMs = deps.config.gateway.first_byte_timeout;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let status: number | null = null;
  let source: StreamSource | undefined;
  const judge = (error: unknown): AttemptEnd =>
    classifyAttemptError(error, {
      adapter: target?.adapter,
      cause: abort.cause(),
      firstByteTimeoutMs,
      now: deps.now(),
    });

  abort.armFirstByte(firstByteTimeoutMs);
  let first: StreamPull;
  try {
    target = leaseTarget(ctx);
    const { adapter } = target;
    const call = await sendUpstream(
      deps.upstream,
      target,
      (call) => adapter.buildChatRequest(call, streamBody(ctx)),
      {
        signal: abort.signal,
        requestId: input.requestId,
        onDropped: droppedLogger(deps.log, input.requestId, lease.provider),
      },
    );
    status = call.response.status;
    source = createStreamSource(call.response, parserFor(adapter, ctx), {
      includeUsage: wantsUsage(input.body),
    });
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
  const feed = createSseFeed({
    source,
    first,
    abort,
    judge,
    onEnd: settleStreamEnd(ctx, { startedAt, ttfbMs, status }, onEnd),
  });
  return { kind: 'done', result: sseResult(feed, headers), streaming: true };
}

function streamBody(ctx: AttemptContext): ChatCompletionRequest {
  return { ...ctx.input.body, model: ctx.lease.model, stream: true } as ChatCompletionRequest;
}

function parserFor(adapter: ProviderAdapter, ctx: AttemptContext) {
  return adapter.createStreamParser({ model: ctx.lease.model, requestId: ctx.input.requestId });
}

function wantsUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return typeof options === 'object' && options !== null && Reflect.get(options, 'include_usage') === true;
}

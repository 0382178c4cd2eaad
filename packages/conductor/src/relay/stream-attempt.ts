import type { UpstreamRequest } from '@llmgw/core';
import type { UpstreamResponse } from '@llmgw/http';
import type { CallContext } from '@llmgw/providers';
import type { UpstreamTarget } from '@llmgw/upstream';
import type { RelayHeaders, RelayResult } from '../contracts.js';
import { type AttemptEnd, classifyAttemptError } from './attempt-end.js';
import { type AttemptContext, type AttemptStep, leaseTarget, sendLeased, stepAfter } from './attempt-step.js';
import type { PullSource, StreamFeedOptions } from './sse-feed.js';
import { settleStreamEnd } from './stream-end.js';

/**
 * What differs between the stream formats (chat chunks, a native API's events). The source's first
 * pull decides whether the attempt started.
 */
export interface StreamAttemptSpec<Pull extends { kind: string; error?: unknown }, Source> {
  build(target: UpstreamTarget, call: CallContext): UpstreamRequest;
  open(response: UpstreamResponse, target: UpstreamTarget): Source & PullSource<Pull>;
  /** The client's stream from the first pull on. */
  respond(feed: StreamFeedOptions<Pull, Source & PullSource<Pull>>, headers: RelayHeaders): RelayResult;
}

/**
 * One stream attempt, for every stream format: until the first pull is ready nothing has reached the
 * client, so any failure (including no first pull within `gateway.first_byte_timeout`) still fails
 * over; from then on the stream is the client's and `onEnd` settles the attempt whenever and however
 * it finishes.
 */
export async function attemptStreamWith<Pull extends { kind: string; error?: unknown }, Source>(
  ctx: AttemptContext,
  spec: StreamAttemptSpec<Pull, Source>,
  onEnd: () => void,
): Promise<AttemptStep> {
  const { deps, lease, abort } = ctx;
  const firstByteTimeoutMs = deps.config.gateway.first_byte_timeout;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let status: number | null = null;
  let source: (Source & PullSource<Pull>) | undefined;
  const judge = (error: unknown): AttemptEnd =>
    classifyAttemptError(error, {
      adapter: target?.adapter,
      cause: abort.cause(),
      firstByteTimeoutMs,
      now: deps.now(),
    });

  abort.armFirstByte(firstByteTimeoutMs);
  let first: Pull;
  try {
    target = leaseTarget(ctx);
    const call = await sendLeased(ctx, target, spec.build);
    status = call.response.status;
    source = spec.open(call.response, target);
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
  const result = spec.respond(
    { source, first, abort, judge, onEnd: settleStreamEnd(ctx, { startedAt, ttfbMs, status }, onEnd) },
    headers,
  );
  return { kind: 'done', result, streaming: true };
}

import type { UpstreamRequest } from '@llmgw/core';
import type { CallContext, Usage } from '@llmgw/providers';
import type { UpstreamTarget } from '@llmgw/upstream';
import type { RelayResult } from '../contracts.js';
import { type AttemptEnd, classifyAttemptError } from './attempt-end.js';
import { type AttemptContext, type AttemptStep, leaseTarget, sendLeased, stepAfter } from './attempt-step.js';

/** An answer read whole, and the usage it reports. */
export interface WholeAnswer {
  body: unknown;
  usage: Usage | undefined;
}

/** What differs between the non-stream calls (chat, embeddings, a native API). */
export interface WholeAttemptSpec {
  build(target: UpstreamTarget, call: CallContext): UpstreamRequest;
  /** The body's text as the client's answer; throws when it is not one (the attempt then failed). */
  parse(
    target: UpstreamTarget,
    response: { status: number; headers: Record<string, string> },
    text: string,
  ): WholeAnswer;
  /** The client's API, when the answer is in a native one rather than chat. */
  format?: Extract<RelayResult, { kind: 'json' }>['format'];
}

/** One non-stream attempt, for every kind: call, read, parse, settle, decide. */
export async function attemptWholeWith(ctx: AttemptContext, spec: WholeAttemptSpec): Promise<AttemptStep> {
  const { deps, lease, abort } = ctx;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let ttfbMs: number | null = null;
  let status: number | null = null;
  let end: AttemptEnd;
  let answer: WholeAnswer | undefined;
  try {
    target = leaseTarget(ctx);
    const call = await sendLeased(ctx, target, spec.build);
    ttfbMs = call.ttfbMs;
    status = call.response.status;
    const hints = target.adapter.readRateLimitHints(call.response.headers, deps.now());
    answer = spec.parse(target, call.response, await call.response.text());
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
  const result: RelayResult = {
    kind: 'json',
    status: 200,
    body: answer?.body,
    headers: ctx.journey.headers(),
  };
  if (spec.format !== undefined) result.format = spec.format;
  return { kind: 'done', result, streaming: false };
}

import type { ChatCompletionRequest, EmbeddingsRequest, ProviderAdapter, Usage } from '@llmgw/providers';
import { sendUpstream, type UpstreamTarget } from '@llmgw/upstream';
import { type AttemptEnd, classifyAttemptError, droppedLogger } from './attempt-end.js';
import { type AttemptContext, type AttemptStep, leaseTarget, stepAfter } from './attempt-step.js';

interface Parsed {
  body: unknown;
  usage: Usage | undefined;
}

/** One non-stream attempt (chat or embeddings): call, read, parse, settle, decide. */
export async function attemptJson(ctx: AttemptContext): Promise<AttemptStep> {
  const { deps, input, lease, abort } = ctx;
  const startedAt = deps.now();
  let target: UpstreamTarget | undefined;
  let ttfbMs: number | null = null;
  let status: number | null = null;
  let end: AttemptEnd;
  let parsed: Parsed | undefined;
  try {
    target = leaseTarget(ctx);
    const { adapter } = target;
    const call = await sendUpstream(deps.upstream, target, (call) => buildRequest(adapter, ctx, call), {
      signal: abort.signal,
      requestId: input.requestId,
      onDropped: droppedLogger(deps.log, input.requestId, lease.provider),
    });
    ttfbMs = call.ttfbMs;
    status = call.response.status;
    const hints = adapter.readRateLimitHints(call.response.headers, deps.now());
    const text = await call.response.text();
    parsed = parseResponse(adapter, ctx, call.response, text);
    end = { kind: 'ok', status, usage: parsed.usage, hints };
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
  return {
    kind: 'done',
    result: { kind: 'json', status: 200, body: parsed?.body, headers: ctx.journey.headers() },
    streaming: false,
  };
}

function buildRequest(
  adapter: ProviderAdapter,
  ctx: AttemptContext,
  call: Parameters<ProviderAdapter['buildChatRequest']>[0],
) {
  const { input, lease } = ctx;
  if (input.operation === 'embeddings') {
    if (adapter.buildEmbeddingsRequest === undefined)
      throw new Error(`provider ${lease.provider} has no embeddings API`);
    return adapter.buildEmbeddingsRequest(call, { ...input.body, model: lease.model } as EmbeddingsRequest);
  }
  return adapter.buildChatRequest(call, {
    ...input.body,
    model: lease.model,
    stream: false,
  } as ChatCompletionRequest);
}

function parseResponse(
  adapter: ProviderAdapter,
  ctx: AttemptContext,
  response: { status: number; headers: Record<string, string> },
  text: string,
): Parsed {
  if (ctx.input.operation === 'embeddings') {
    if (adapter.parseEmbeddingsResponse === undefined) {
      throw new Error(`provider ${ctx.lease.provider} has no embeddings API`);
    }
    const body = adapter.parseEmbeddingsResponse(text, ctx.lease.model);
    const usage: Usage = {
      prompt_tokens: body.usage.prompt_tokens,
      completion_tokens: 0,
      total_tokens: body.usage.total_tokens,
    };
    return { body, usage };
  }
  const body = adapter.parseChatResponse(response.status, response.headers, text);
  return { body, usage: body.usage };
}

import type { ChatCompletionRequest, ProviderAdapter } from '@llmgw/providers';
import type { AttemptContext, AttemptStep } from './attempt-step.js';
import { createSseFeed } from './sse-body.js';
import { sseResult } from './sse-feed.js';
import { attemptStreamWith } from './stream-attempt.js';
import { createStreamSource } from './stream-source.js';

/** One chat stream attempt: the upstream's stream as OpenAI chunks, framed as SSE for the client. */
export function attemptStream(ctx: AttemptContext, onEnd: () => void): Promise<AttemptStep> {
  return attemptStreamWith(
    ctx,
    {
      build: ({ adapter }, call) => adapter.buildChatRequest(call, streamBody(ctx)),
      open: (response, { adapter }) =>
        createStreamSource(response, parserFor(adapter, ctx), { includeUsage: wantsUsage(ctx.input.body) }),
      respond: (feed, headers) => sseResult(createSseFeed(feed), headers),
    },
    onEnd,
  );
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

import type {
  CallContext,
  ChatCompletionRequest,
  EmbeddingsRequest,
  ProviderAdapter,
  Usage,
} from '@llmgw/providers';
import type { AttemptContext, AttemptStep } from './attempt-step.js';
import { attemptWholeWith, type WholeAnswer } from './whole-attempt.js';

/** One non-stream chat or embeddings attempt, in OpenAI's format through the provider's adapter. */
export function attemptJson(ctx: AttemptContext): Promise<AttemptStep> {
  return attemptWholeWith(ctx, {
    build: ({ adapter }, call) => buildRequest(adapter, ctx, call),
    parse: ({ adapter }, response, text) => parseResponse(adapter, ctx, response, text),
  });
}

function buildRequest(adapter: ProviderAdapter, ctx: AttemptContext, call: CallContext) {
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
): WholeAnswer {
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

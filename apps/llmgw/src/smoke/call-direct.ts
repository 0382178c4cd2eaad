import { randomUUID } from 'node:crypto';
import type { LlmgwConfig } from '@llmgw/config';
import { type Classification, isLlmgwError } from '@llmgw/core';
import type { SmokeTriple } from '@llmgw/db';
import { isClientAbort, isHttpTransportError } from '@llmgw/http';
import {
  isUpstreamCallError,
  sendUpstream,
  type UpstreamDeps,
  type UpstreamTarget,
  upstreamTarget,
} from '@llmgw/upstream';
import { SMOKE_MAX_TOKENS, smokePrompt } from './prompt.js';

/** How one direct call of one key went. */
export interface DirectCall {
  outcome: string;
  latencyMs: number;
  status: number | null;
  message: string | null;
  until: string | null;
  answer: string | null;
}

/**
 * One real chat completion straight to the provider with one key, through the same pipeline as the
 * gateway and the keeper's probes (credential, the key's route and proxy, classification). Nothing is
 * written to the pool: the smoke observes, the keeper judges.
 */
export async function smokeDirect(
  deps: UpstreamDeps,
  config: LlmgwConfig,
  triple: SmokeTriple,
  timeoutMs: number,
): Promise<DirectCall> {
  const started = deps.now();
  const failed = (
    classification: Pick<Classification, 'message' | 'until' | 'retryAfterMs'> & { reason: string },
    status: number | null,
  ): DirectCall => {
    const until =
      classification.until ??
      (classification.retryAfterMs !== undefined ? deps.now() + classification.retryAfterMs : undefined);
    return {
      outcome: classification.reason,
      latencyMs: Math.round(deps.now() - started),
      status,
      message: classification.message,
      until: until === undefined ? null : new Date(until).toISOString(),
      answer: null,
    };
  };
  let target: UpstreamTarget;
  try {
    target = upstreamTarget(config, triple.provider, {
      id: triple.keyId,
      secret: triple.secret,
      pinnedProxyUrl: triple.pinnedProxyUrl,
    });
  } catch (error) {
    // A pool provider whose key has no healthy proxy: calling direct would expose this host's address.
    if (isLlmgwError(error) && error.reason !== undefined)
      return failed({ reason: error.reason, message: error.message }, null);
    throw error;
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const { response } = await sendUpstream(
      deps,
      target,
      (ctx) =>
        target.adapter.buildChatRequest(ctx, {
          model: triple.model,
          messages: [{ role: 'user', content: smokePrompt(randomUUID()) }],
          max_tokens: SMOKE_MAX_TOKENS,
          stream: false,
        }),
      { signal: timeout },
    );
    const text = await response.text();
    const completion = target.adapter.parseChatResponse(response.status, response.headers, text);
    const content = completion.choices[0]?.message.content;
    return {
      outcome: 'ok',
      latencyMs: Math.round(deps.now() - started),
      status: response.status,
      message: null,
      until: null,
      answer: typeof content === 'string' ? content.slice(0, 80) : null,
    };
  } catch (error) {
    if (isUpstreamCallError(error)) return failed(error.classification, error.failure.status ?? null);
    if (isClientAbort(error) || timeout.aborted) {
      return failed({ reason: 'timeout', message: `no answer within ${timeoutMs} ms` }, null);
    }
    if (isHttpTransportError(error)) {
      return failed(
        target.adapter.classifyFailure({ transport: error.transport, code: error.code }, deps.now()),
        null,
      );
    }
    if (isLlmgwError(error) && error.reason !== undefined)
      return failed({ reason: error.reason, message: error.message }, error.status ?? null);
    // A 2xx the adapter cannot read as a completion: the provider (or base_url) is not what the config says.
    return failed(
      { reason: 'bad_response', message: 'the answer could not be read as a chat completion' },
      null,
    );
  }
}

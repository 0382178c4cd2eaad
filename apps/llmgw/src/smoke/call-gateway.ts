import { randomUUID } from 'node:crypto';
import { type GatewayTarget, networkCause } from './gateway-target.js';
import type { ItemRun } from './judge.js';
import type { PoolKnowledge } from './pool-knowledge.js';
import { SMOKE_MAX_TOKENS, smokePrompt } from './prompt.js';
import type { SmokeAttempt, SmokeItem } from './types.js';

interface ErrorBody {
  error?: { message?: unknown; code?: unknown };
}

interface CompletionBody {
  choices?: { message?: { content?: unknown } }[];
}

/** `provider:keyId:outcome` entries of `x-llm-attempt-trail`, with each key named from the pool. */
function attemptsOf(trail: string | null, pool: PoolKnowledge): SmokeAttempt[] {
  if (!trail) return [];
  return trail.split(',').map((entry) => {
    const [, keyId = '', outcome = 'unknown'] = entry.split(':');
    const id = Number(keyId);
    return {
      key: Number.isInteger(id) && id > 0 ? pool.keyRef(id) : null,
      outcome,
      latencyMs: null,
      status: null,
      message: null,
      until: null,
    };
  });
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text());
  } catch {
    return undefined;
  }
}

/**
 * One real chat completion through the gateway, pinned to the provider (`provider/model` and
 * `X-LLM-Provider`). `Cache-Control: no-cache` and a unique prompt keep the response cache and
 * coalescing out of it: the smoke must reach an upstream.
 */
export async function smokeThroughGateway(
  target: GatewayTarget,
  item: SmokeItem,
  pool: PoolKnowledge,
  timeoutMs: number,
): Promise<ItemRun> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(`${target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-llm-provider': item.provider,
        'cache-control': 'no-cache',
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      },
      body: JSON.stringify({
        model: `${item.provider}/${item.model}`,
        messages: [{ role: 'user', content: smokePrompt(randomUUID()) }],
        max_tokens: SMOKE_MAX_TOKENS,
        stream: false,
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = networkCause(error);
    const timedOut = cause === 'TimeoutError' || cause.includes('timeout') || cause.includes('aborted');
    return {
      answered: false,
      reason: timedOut ? 'request_timeout' : 'gateway_error',
      message: timedOut ? `no answer within ${timeoutMs} ms` : `the gateway connection failed (${cause})`,
      status: null,
      latencyMs: Math.round(performance.now() - started),
      key: null,
      answer: null,
      attempts: [],
    };
  }
  const body = await readJson(response);
  const latencyMs = Math.round(performance.now() - started);
  const attempts = attemptsOf(response.headers.get('x-llm-attempt-trail'), pool);
  if (response.ok) {
    const content = (body as CompletionBody | undefined)?.choices?.[0]?.message?.content;
    const keyId = Number(response.headers.get('x-llm-key-id'));
    const key = Number.isInteger(keyId) && keyId > 0 ? pool.keyRef(keyId) : null;
    if (typeof content !== 'string') {
      return {
        answered: false,
        reason: 'bad_response',
        message: 'the answer had no message content',
        status: response.status,
        latencyMs,
        key,
        answer: null,
        attempts,
      };
    }
    const last = attempts.at(-1);
    if (last) last.latencyMs = latencyMs;
    return {
      answered: true,
      reason: null,
      message: null,
      status: response.status,
      latencyMs,
      key,
      answer: content.slice(0, 80),
      attempts,
    };
  }
  const error = (body as ErrorBody | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
  return {
    answered: false,
    reason: code,
    message: typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
    status: response.status,
    latencyMs,
    key: null,
    answer: null,
    attempts,
  };
}

import type { LlmgwConfig } from '@llmgw/config';
import type { SmokeTriple } from '@llmgw/db';
import type { UpstreamDeps } from '@llmgw/upstream';
import type { LimitFunction } from 'p-limit';
import { smokeDirect } from './call-direct.js';
import type { ItemRun } from './judge.js';
import type { PoolKnowledge } from './pool-knowledge.js';
import type { SmokeAttempt } from './types.js';

const STATE_ORDER: Record<string, number> = {
  active: 0,
  untested: 1,
  cooldown: 2,
  no_quota: 3,
  unsupported: 4,
  dead: 5,
};

/** The keys to try, healthiest first: a default smoke asks "does this provider answer?" of its best keys. */
export function orderForSmoke(triples: readonly SmokeTriple[]): SmokeTriple[] {
  return [...triples].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) ||
      b.successRate - a.successRate ||
      a.keyId - b.keyId,
  );
}

export interface DirectRunOptions {
  /** Every key (`--full`), or the healthiest ones until one answers, at most `maxKeys`. */
  everyKey: boolean;
  maxKeys: number;
  timeoutMs: number;
  limit: LimitFunction;
}

/** Smokes one provider/model straight at the provider, key by key. */
export async function runDirectItem(
  deps: UpstreamDeps,
  config: LlmgwConfig,
  triples: readonly SmokeTriple[],
  pool: PoolKnowledge,
  options: DirectRunOptions,
): Promise<ItemRun> {
  const ordered = orderForSmoke(triples);
  if (ordered.length === 0) {
    return {
      answered: false,
      reason: 'no_keys',
      message: 'no live key for this provider/model in the pool',
      status: null,
      latencyMs: null,
      key: null,
      answer: null,
      attempts: [],
    };
  }
  const call = (triple: SmokeTriple) =>
    options.limit(async () => {
      const result = await smokeDirect(deps, config, triple, options.timeoutMs);
      return { triple, result };
    });
  const calls = [];
  if (options.everyKey) {
    calls.push(...(await Promise.all(ordered.map(call))));
  } else {
    for (const triple of ordered.slice(0, options.maxKeys)) {
      const done = await call(triple);
      calls.push(done);
      if (done.result.outcome === 'ok') break;
    }
  }
  const attempts: SmokeAttempt[] = calls.map(({ triple, result }) => ({
    key: pool.keyRef(triple.keyId),
    outcome: result.outcome,
    latencyMs: result.latencyMs,
    status: result.status,
    message: result.message,
    until: result.until,
  }));
  const answered = calls.find(({ result }) => result.outcome === 'ok');
  const last = calls.at(-1);
  if (answered) {
    return {
      answered: true,
      reason: null,
      message: null,
      status: answered.result.status,
      latencyMs: answered.result.latencyMs,
      key: pool.keyRef(answered.triple.keyId),
      answer: answered.result.answer,
      attempts,
    };
  }
  return {
    answered: false,
    reason: last?.result.outcome ?? 'no_keys',
    message: last?.result.message ?? null,
    status: last?.result.status ?? null,
    latencyMs: last?.result.latencyMs ?? null,
    key: null,
    answer: null,
    attempts,
  };
}

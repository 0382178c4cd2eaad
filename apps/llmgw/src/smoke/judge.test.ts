import { describe, expect, it } from 'vitest';
import type { HintContext } from './hints.js';
import { type ItemRun, judgeItem } from './judge.js';
import { type PoolRow, poolKnowledge } from './pool-knowledge.js';

const context: HintContext = {
  provider: 'groq',
  model: 'llama',
  configFile: 'config/providers.yaml',
  keysDir: 'keys',
  proxiesDir: 'proxies',
  proxy: 'pool:eu',
};

function row(keyId: number, state: string, reason: string | null = null): PoolRow {
  return {
    provider: 'groq',
    model: 'llama',
    keyId,
    keyMask: `gsk_…000${keyId}`,
    sourceFile: 'groq/team.txt',
    sourceLine: keyId + 1,
    state,
    reason,
    cooldownUntil: null,
  };
}

const pool = poolKnowledge(
  [row(1, 'active'), row(2, 'dead', 'invalid_key'), row(3, 'cooldown', 'rate_limited')],
  'keys',
);

function run(partial: Partial<ItemRun>): ItemRun {
  return {
    answered: true,
    reason: null,
    message: null,
    status: 200,
    latencyMs: 12,
    key: pool.keyRef(1),
    answer: 'OK',
    attempts: [],
    ...partial,
  };
}

const item = { provider: 'groq', model: 'llama' };

describe('judgeItem', () => {
  it('is degraded when it answered but the pool holds a dead key, and says which line to replace', () => {
    const result = judgeItem(item, run({}), pool, context);
    expect(result.verdict).toBe('degraded');
    expect(result.keyProblems).toEqual([
      expect.objectContaining({
        key: { keyId: 2, mask: 'gsk_…0002', file: 'keys/groq/team.txt', line: 3 },
        reason: 'invalid_key',
        seen: 'pool',
        hint: 'the provider rejects the key: replace the key in keys/groq/team.txt line 3',
      }),
    ]);
  });

  it('does not count a key in a passing cooldown as a problem', () => {
    const calm = poolKnowledge([row(1, 'active'), row(3, 'cooldown', 'rate_limited')], 'keys');
    expect(judgeItem(item, run({}), calm, context).verdict).toBe('ok');
  });

  it('is failing when nothing answered, with the hint for the reason and the keys met on the way', () => {
    const result = judgeItem(
      item,
      run({
        answered: false,
        reason: 'proxy_error',
        key: null,
        attempts: [
          {
            key: pool.keyRef(1),
            outcome: 'proxy_error',
            latencyMs: 3,
            status: null,
            message: 'refused',
            until: null,
          },
        ],
      }),
      pool,
      context,
    );
    expect(result.verdict).toBe('failing');
    expect(result.hints).toEqual([
      'the proxy failed: check the proxies in proxies/eu.txt (dead or refusing proxies are moved away from by the keeper)',
    ]);
    expect(result.keyProblems.map((problem) => [problem.key.keyId, problem.reason, problem.seen])).toEqual([
      [1, 'proxy_error', 'this_run'],
      [2, 'invalid_key', 'pool'],
    ]);
  });

  it('names a key by id when the pool cannot be read', () => {
    const blind = poolKnowledge(null, 'keys');
    const result = judgeItem(
      item,
      run({
        attempts: [
          {
            key: blind.keyRef(9),
            outcome: 'no_quota',
            latencyMs: 1,
            status: 429,
            message: null,
            until: '2030-01-01T00:00:00.000Z',
          },
        ],
      }),
      blind,
      context,
    );
    expect(result.keyProblems[0]?.hint).toBe(
      'no quota left (the provider says it resets at 2030-01-01 00:00:00 UTC): top up the account behind keys/groq.txt (key 9; `llmgw keys status` shows its file and line) or wait until it resets; the keeper retries it by itself',
    );
  });
});

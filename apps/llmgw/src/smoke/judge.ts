import { type HintContext, hintFor } from './hints.js';
import type { PoolKnowledge } from './pool-knowledge.js';
import type { KeyProblem, KeyRef, SmokeAttempt, SmokeItem, SmokeResult } from './types.js';

/** What running one item produced, before it is judged. */
export interface ItemRun {
  answered: boolean;
  /** Why it did not answer; null when it did. */
  reason: string | null;
  message: string | null;
  status: number | null;
  latencyMs: number | null;
  key: KeyRef | null;
  answer: string | null;
  attempts: SmokeAttempt[];
}

const NOT_A_FAILURE = new Set(['ok', 'client_abort']);

/**
 * The verdict of one provider/model: `failing` when nothing answered, `degraded` when it answered but
 * keys failed on the way (or the pool already holds keys that need the operator), else `ok`. Every
 * problem key carries the hint that fixes it.
 */
export function judgeItem(
  item: SmokeItem,
  run: ItemRun,
  pool: PoolKnowledge,
  context: HintContext,
): SmokeResult {
  const problems = new Map<number, KeyProblem>();
  const answeredBy = new Set(
    run.attempts
      .filter((attempt) => attempt.outcome === 'ok' && attempt.key)
      .map((attempt) => attempt.key?.keyId),
  );
  for (const attempt of run.attempts) {
    if (NOT_A_FAILURE.has(attempt.outcome) || attempt.key === null || problems.has(attempt.key.keyId))
      continue;
    problems.set(attempt.key.keyId, {
      key: attempt.key,
      reason: attempt.outcome,
      state: null,
      until: attempt.until,
      seen: 'this_run',
      hint: hintFor(attempt.outcome, context, attempt.key, attempt.until),
    });
  }
  for (const known of pool.problems(item.provider, item.model)) {
    if (problems.has(known.key.keyId) || answeredBy.has(known.key.keyId)) continue;
    problems.set(known.key.keyId, {
      key: known.key,
      reason: known.reason,
      state: known.state,
      until: known.until,
      seen: 'pool',
      hint: hintFor(known.reason, context, known.key, known.until),
    });
  }
  const keyProblems = [...problems.values()].sort((a, b) => a.key.keyId - b.key.keyId);
  const verdict = !run.answered ? 'failing' : keyProblems.length > 0 ? 'degraded' : 'ok';
  const hints: string[] = [];
  if (!run.answered && run.reason !== null) {
    const lastFailed = run.attempts.findLast((attempt) => !NOT_A_FAILURE.has(attempt.outcome));
    hints.push(hintFor(run.reason, context, lastFailed?.key ?? null, lastFailed?.until ?? null));
  }
  return {
    ...item,
    verdict,
    reason: run.answered ? null : run.reason,
    message: run.message,
    status: run.status,
    latencyMs: run.latencyMs,
    key: run.key,
    answer: run.answer,
    attempts: run.attempts,
    keyProblems,
    hints,
  };
}

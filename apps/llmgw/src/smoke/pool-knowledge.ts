import { join } from 'node:path';
import type { KeyRef } from './types.js';

/** The columns of a triple row that name its key and its state (TripleView and SmokeTriple both have them). */
export interface PoolRow {
  provider: string;
  model: string;
  keyId: number;
  keyMask: string;
  sourceFile: string;
  sourceLine: number;
  state: string;
  reason: string | null;
  cooldownUntil: Date | null;
}

export interface PoolProblem {
  key: KeyRef;
  state: string;
  reason: string;
  until: string | null;
}

/** What the smoke knows of the pool: where each key came from, and which triples are already failing. */
export interface PoolKnowledge {
  readable: boolean;
  keyRef(keyId: number): KeyRef;
  /** Triples of a provider/model in a state that needs the operator (dead, no_quota, unsupported). */
  problems(provider: string, model: string): PoolProblem[];
}

// Transient states (cooldown after a 429 or a 5xx) heal by themselves; these need someone to act.
const OPERATOR_STATES: Record<string, string> = {
  dead: 'invalid_key',
  no_quota: 'no_quota',
  unsupported: 'model_unavailable',
};

export function poolKnowledge(rows: readonly PoolRow[] | null, keysDir: string): PoolKnowledge {
  const refs = new Map<number, KeyRef>();
  for (const row of rows ?? []) {
    if (refs.has(row.keyId)) continue;
    const keyless = row.sourceFile === '(keyless)';
    refs.set(row.keyId, {
      keyId: row.keyId,
      mask: row.keyMask,
      file: keyless ? null : join(keysDir, row.sourceFile),
      line: keyless ? null : row.sourceLine,
    });
  }
  return {
    readable: rows !== null,
    keyRef: (keyId) => refs.get(keyId) ?? { keyId, mask: null, file: null, line: null },
    problems(provider, model) {
      return (rows ?? [])
        .filter((row) => row.provider === provider && row.model === model && row.state in OPERATOR_STATES)
        .map((row) => ({
          key: refs.get(row.keyId) ?? { keyId: row.keyId, mask: row.keyMask, file: null, line: null },
          state: row.state,
          reason: row.reason ?? OPERATOR_STATES[row.state] ?? row.state,
          until: row.cooldownUntil?.toISOString() ?? null,
        }));
    },
  };
}

/** A provider/model answered and nothing is wrong, answered but keys are failing, or did not answer. */
export type SmokeVerdict = 'ok' | 'degraded' | 'failing';

export type SmokeMode = 'gateway' | 'direct';

/** One provider/model to test. */
export interface SmokeItem {
  provider: string;
  model: string;
}

/** A key as the report names it: id and mask, and the file and line it came from when the pool is readable. */
export interface KeyRef {
  keyId: number;
  mask: string | null;
  /** Path of the key file as the operator knows it (`keys/mock.txt`); null when unknown. */
  file: string | null;
  line: number | null;
}

/** One call made for an item: through the gateway (its attempt trail) or straight to the provider. */
export interface SmokeAttempt {
  key: KeyRef | null;
  /** `ok` or a SPEC §5 failure reason. */
  outcome: string;
  latencyMs: number | null;
  status: number | null;
  message: string | null;
  /** When the provider said the key works again (quota reset, Retry-After), ISO time. */
  until: string | null;
}

/** A key that needs the operator, seen failing in this run or already marked so in the pool. */
export interface KeyProblem {
  key: KeyRef;
  reason: string;
  /** The triple's state in the pool, when known. */
  state: string | null;
  /** When the key should work again (cooldown or quota reset), ISO time. */
  until: string | null;
  seen: 'this_run' | 'pool';
  hint: string;
}

export interface SmokeResult extends SmokeItem {
  verdict: SmokeVerdict;
  /** Why it did not answer (a failure reason, or the gateway's code like `no_usable_upstream`). */
  reason: string | null;
  message: string | null;
  status: number | null;
  latencyMs: number | null;
  /** The key that answered. */
  key: KeyRef | null;
  /** The first characters of the answer, to see that a real completion came back. */
  answer: string | null;
  attempts: SmokeAttempt[];
  keyProblems: KeyProblem[];
  hints: string[];
}

export interface SmokeReport {
  version: 1;
  mode: SmokeMode;
  /** The gateway called (gateway mode). */
  gateway: string | null;
  full: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** `not_run`: the smoke could not run at all (exit 2); `error` says why. */
  verdict: SmokeVerdict | 'not_run';
  exitCode: 0 | 1 | 2;
  error: string | null;
  /** Whether key files and lines could be read from the pool's database. */
  poolReadable: boolean;
  notes: string[];
  summary: { total: number; ok: number; degraded: number; failing: number };
  results: SmokeResult[];
  /** Providers with nothing to test and why (no configured models). */
  skipped: { provider: string; why: string }[];
}

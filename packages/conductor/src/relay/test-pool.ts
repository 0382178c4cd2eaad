/*
 * Test support: a small in-memory Pool — a real, if simple, implementation of the contract (not a
 * mock): it hands out leases from a fixed list of keys in list order, honours excludeTriples and
 * excludeKeys, and remembers every lease request and release so tests can assert on them.
 */
import type { Candidate, Lease, LeaseRefusal, LeaseRequest, LeaseResult, Pool } from '../contracts.js';

export interface TestKey {
  provider: string;
  model: string;
  secret: string;
  keyId: number;
  tripleId: number;
}

export interface Release {
  tripleId: number;
  keyId: number;
  result: LeaseResult;
}

export interface TestPool extends Pool {
  requests: LeaseRequest[];
  releases: Release[];
  /** Leases given out and not released yet. */
  held(): number;
  /** Refuse every lease as saturated (every candidate at its limits). */
  saturate(retryAfterMs: number | undefined): void;
  /** Resolves once `count` releases have happened. */
  releasedCount(count: number, timeoutMs?: number): Promise<void>;
}

export function createTestPool(keys: Array<Omit<TestKey, 'tripleId'> & { tripleId?: number }>): TestPool {
  const triples: TestKey[] = keys.map((key, index) => ({ ...key, tripleId: key.tripleId ?? 1000 + index }));
  const requests: LeaseRequest[] = [];
  const releases: Release[] = [];
  let held = 0;
  let saturatedFor: number | undefined;

  const matches = (key: TestKey, candidates: Candidate[]) =>
    candidates.some((candidate) => candidate.provider === key.provider && candidate.model === key.model);

  const leaseOf = (key: TestKey): Lease => {
    let released = false;
    held += 1;
    return {
      tripleId: key.tripleId,
      keyId: key.keyId,
      keyMask: `${key.secret.slice(0, 3)}…${key.secret.slice(-4)}`,
      provider: key.provider,
      model: key.model,
      secret: key.secret,
      pinnedProxyUrl: null,
      proxyId: null,
      release(result) {
        if (released) throw new Error(`lease of triple ${key.tripleId} released twice`);
        released = true;
        held -= 1;
        releases.push({ tripleId: key.tripleId, keyId: key.keyId, result });
      },
    };
  };

  return {
    requests,
    releases,
    held: () => held,
    saturate(retryAfterMs) {
      saturatedFor = retryAfterMs;
    },
    async lease(request): Promise<Lease | LeaseRefusal> {
      requests.push({
        ...request,
        excludeTriples: new Set(request.excludeTriples),
        excludeKeys: new Set(request.excludeKeys),
      });
      if (saturatedFor !== undefined) return { kind: 'saturated', retryAfterMs: saturatedFor };
      const serving = triples.filter((key) => matches(key, request.candidates));
      const usable = serving.find(
        (key) => !request.excludeTriples.has(key.tripleId) && !request.excludeKeys.has(key.keyId),
      );
      if (usable) return leaseOf(usable);
      return {
        kind: 'unavailable',
        counts: serving.length > 0 ? { excluded: serving.length } : { no_triple: 1 },
      };
    },
    async usableModels() {
      return triples.map((key) => ({ provider: key.provider, model: key.model }));
    },
    async close() {},
    async releasedCount(count, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      while (releases.length < count) {
        if (Date.now() > deadline)
          throw new Error(`only ${releases.length} of ${count} releases within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

import type { AttemptRecord, Lease, RelayHeaders, RelayInput } from '../contracts.js';
import type { RelayMetrics } from '../metrics/contract.js';
import { type AttemptEnd, leaseResultOf, messageOf, outcomeWord } from './attempt-end.js';
import type { AttemptSink } from './types.js';

export interface AttemptTiming {
  startedAt: number;
  endedAt: number;
  ttfbMs: number | null;
  /** Upstream HTTP status, when one arrived. */
  status: number | null;
}

/**
 * One request's memory across attempts: what to exclude, the attempt trail, and the attempt records.
 * A failed attempt's record is held back until we know whether another attempt follows, so exactly
 * the attempt whose outcome reached the client is written with `final: true`.
 */
export interface Journey {
  readonly excludeTriples: Set<number>;
  readonly excludeKeys: Set<number>;
  attempts(): number;
  /** A lease was obtained: the attempt before it (if any) was not the final one. */
  begin(next?: Lease): void;
  /** The latest settled attempt's provider and model (the one that answered, once concluded). */
  last(): { readonly provider: string; readonly model: string } | undefined;
  /** Releases the lease (exactly once per attempt), extends the trail, holds the record. */
  settle(lease: Lease, end: AttemptEnd, timing: AttemptTiming): void;
  /** Writes the held record as the final one. */
  conclude(): void;
  /** SPEC §7 headers; `current` is an attempt still running (a stream being served). */
  headers(current?: { lease: Lease; word: string }): RelayHeaders;
}

interface TrailEntry {
  provider: string;
  model: string;
  keyId: number;
  word: string;
}

export function createJourney(input: RelayInput, sink: AttemptSink, metrics?: RelayMetrics): Journey {
  const trail: TrailEntry[] = [];
  let held: AttemptRecord | undefined;
  const write = (final: boolean) => {
    if (held === undefined) return;
    sink.record({ ...held, final });
    held = undefined;
  };
  return {
    excludeTriples: new Set(),
    excludeKeys: new Set(),
    attempts: () => trail.length,
    begin(next) {
      if (held !== undefined && next !== undefined) {
        metrics?.fallback(held.provider, next.provider, held.outcome);
      }
      write(false);
    },
    last: () => trail[trail.length - 1],
    settle(lease, end, timing) {
      const latencyMs = Math.max(0, timing.endedAt - timing.startedAt);
      lease.release(leaseResultOf(end, latencyMs));
      const word = outcomeWord(end);
      trail.push({ provider: lease.provider, model: lease.model, keyId: lease.keyId, word });
      const usage = end.kind === 'ok' ? end.usage : undefined;
      held = {
        requestId: input.requestId,
        attemptNo: trail.length,
        final: false,
        provider: lease.provider,
        model: lease.model,
        keyId: lease.keyId,
        tripleId: lease.tripleId,
        proxyId: lease.proxyId,
        outcome: word,
        status: timing.status,
        latencyMs,
        ttfbMs: timing.ttfbMs,
        promptTokens: usage?.prompt_tokens ?? null,
        completionTokens: usage?.completion_tokens ?? null,
        cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? null,
        stream: input.stream,
        message: messageOf(end),
      };
    },
    conclude: () => write(true),
    headers(current) {
      const entries = current
        ? [
            ...trail,
            {
              provider: current.lease.provider,
              model: current.lease.model,
              keyId: current.lease.keyId,
              word: current.word,
            },
          ]
        : trail;
      const headers: RelayHeaders = {
        'x-request-id': input.requestId,
        'x-llm-attempts': String(entries.length),
        'x-llm-attempt-trail': entries
          .map((entry) => `${entry.provider}:${entry.keyId}:${entry.word}`)
          .join(','),
      };
      const last = entries.at(-1);
      if (last !== undefined) {
        headers['x-llm-actual-provider'] = last.provider;
        headers['x-llm-actual-model'] = last.model;
        headers['x-llm-key-id'] = String(last.keyId);
      }
      return headers;
    },
  };
}

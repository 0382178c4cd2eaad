import type { Classification } from '@llmgw/core';
import type { Lease, LeaseRefusal, Relay, RelayInput, RelayResult } from '../contracts.js';
import { createRequestAbort, type RequestAbort } from './abort.js';
import { describeError } from './attempt-end.js';
import { attemptJson } from './attempt-json.js';
import { attemptNative, nativeApiFor } from './attempt-native.js';
import type { AttemptStep } from './attempt-step.js';
import { attemptStream } from './attempt-stream.js';
import { servableCandidates } from './candidates.js';
import {
  abortError,
  addRefusal,
  createRefusalSummary,
  exhaustedError,
  internalError,
  refusalError,
} from './client-errors.js';
import { estimateTokens } from './estimate-tokens.js';
import { createJourney, type Journey } from './journey.js';
import type { RelayDeps } from './types.js';

/**
 * SPEC §7 failover for one request: for each tier in order, up to `gateway.max_attempts` distinct
 * triples leased from the pool; a refusal moves to the next tier. `bad_request` answers at once;
 * every other failure excludes the triple (and the key, when the key itself refused) and tries again.
 */
export function createRelay(deps: RelayDeps): Relay {
  let inflight = 0;
  return {
    inflight: () => inflight,
    async relay(input) {
      inflight += 1;
      const abort = createRequestAbort(input.signal, deps.config.gateway.request_timeout, input.controller);
      const journey = createJourney(input, deps.attempts, deps.metrics);
      // The request's duration is only read by the metrics.
      const clock = () => (deps.metrics ? deps.now() : 0);
      const startedAt = clock();
      // A stream's status is 200 whatever happens after its first byte; other results set theirs below.
      let status = 200;
      let finished = false;
      // Runs once the answer is complete: at return for JSON, at the stream's end for SSE.
      const finish = (endedAt = clock()) => {
        if (finished) return;
        finished = true;
        if (deps.metrics) {
          const last = journey.last();
          deps.metrics.requestDone(last?.provider, last?.model, status, input.stream, endedAt - startedAt);
        }
        journey.conclude();
        abort.dispose();
        inflight -= 1;
      };
      let streaming = false;
      try {
        const outcome = await runTiers(deps, input, journey, abort, finish);
        streaming = outcome.streaming;
        if (outcome.result.kind === 'error') status = outcome.result.error.status;
        return outcome.result;
      } catch (error) {
        deps.log.error(
          { event: 'relay.internal_error', requestId: input.requestId, error: describeError(error) },
          'relay failed unexpectedly',
        );
        status = 500;
        return { kind: 'error', error: internalError(input.requestId), headers: journey.headers() };
      } finally {
        // A stream's finish() runs when it ends; an answer on a socket is written before it.
        if (!streaming) {
          if (input.answersOnSocket === true) setImmediate(finish, clock());
          else finish();
        }
      }
    },
  };
}

async function runTiers(
  deps: RelayDeps,
  input: RelayInput,
  journey: Journey,
  abort: RequestAbort,
  finish: () => void,
): Promise<{ result: RelayResult; streaming: boolean }> {
  const gateway = deps.config.gateway;
  const refusals = createRefusalSummary();
  const estimatedTokens = estimateTokens(input);
  let lastFailure: Classification | undefined;
  const affinity = deps.affinity?.forRequest(input) ?? null;

  for (const tier of input.tiers) {
    const candidates = servableCandidates(deps.config, tier, input.operation);
    if (candidates.length === 0) {
      addRefusal(refusals, {
        kind: 'unavailable',
        counts: { [`no_${input.operation}_support`]: tier.length },
      });
      continue;
    }
    const preferring = affinity === null ? null : affinity.prefer(candidates);
    const preferKey = preferring instanceof Promise ? await preferring : preferring;
    for (let attempt = 0; attempt < gateway.max_attempts; attempt += 1) {
      const leasing = leaseOrAbort(deps, abort, {
        preferKey,
        candidates,
        excludeTriples: journey.excludeTriples,
        excludeKeys: journey.excludeKeys,
        estimatedTokens,
        maxWaitMs: gateway.queue.max_wait,
        requestId: input.requestId,
        signal: abort.signal,
      });
      const leased = leasing instanceof Promise ? await leasing : leasing;
      if (leased === 'aborted') return aborted(deps, journey, abort);
      if (!isLease(leased)) {
        addRefusal(refusals, leased);
        break;
      }
      journey.begin(leased);
      const ctx = { deps, input, journey, lease: leased, abort: abort.forAttempt(input.stream) };
      // Per attempt: the leased provider may serve the client's own API (`RelayInput.native`).
      const nativeApi =
        input.native === undefined ? undefined : nativeApiFor(deps.config, leased.provider, input.native);
      const step: AttemptStep =
        nativeApi !== undefined && input.native !== undefined
          ? await attemptNative(ctx, nativeApi, input.native, finish)
          : input.stream && input.operation === 'chat'
            ? await attemptStream(ctx, finish)
            : await attemptJson(ctx);
      if (step.kind === 'done') {
        if (affinity !== null && step.result.kind !== 'error') affinity.served(leased, step.result.headers);
        return { result: step.result, streaming: step.streaming };
      }
      lastFailure = step.classification;
    }
  }
  const error = lastFailure ? exhaustedError(lastFailure, deps.now()) : refusalError(refusals);
  return { result: { kind: 'error', error, headers: journey.headers() }, streaming: false };
}

/** Synchronous when the pool answers from memory; a promise only when it claims or queues. */
function leaseOrAbort(
  deps: RelayDeps,
  abort: RequestAbort,
  request: Parameters<RelayDeps['pool']['lease']>[0],
): Lease | LeaseRefusal | 'aborted' | Promise<Lease | LeaseRefusal | 'aborted'> {
  if (abort.signal.aborted) return 'aborted';
  const leased = deps.pool.lease(request);
  if (!(leased instanceof Promise)) return afterLease(abort, leased);
  return leased.then(
    (settled) => afterLease(abort, settled),
    (error: unknown) => {
      // A pool may reject a queued wait when the signal fires; that is the abort, not a pool failure.
      if (abort.signal.aborted) return 'aborted';
      throw error;
    },
  );
}

function afterLease(abort: RequestAbort, leased: Lease | LeaseRefusal): Lease | LeaseRefusal | 'aborted' {
  if (!abort.signal.aborted) return leased;
  // The client left while the lease was being granted: give it back untouched.
  if (isLease(leased)) leased.release({ outcome: { kind: 'client_abort' }, latencyMs: 0 });
  return 'aborted';
}

function aborted(
  deps: RelayDeps,
  journey: Journey,
  abort: RequestAbort,
): { result: RelayResult; streaming: false } {
  const cause = abort.cause() === 'request_timeout' ? 'request_timeout' : 'client';
  const error = abortError(cause, deps.config.gateway.request_timeout);
  return { result: { kind: 'error', error, headers: journey.headers() }, streaming: false };
}

function isLease(value: Lease | LeaseRefusal): value is Lease {
  return 'release' in value;
}

import type { Classification, FailureReason, UpstreamRequest } from '@llmgw/core';
import type { CallContext } from '@llmgw/providers';
import { sendUpstream, type UpstreamCall, type UpstreamTarget, upstreamTarget } from '@llmgw/upstream';
import type { Lease, RelayInput, RelayResult } from '../contracts.js';
import type { AttemptAbort } from './abort.js';
import { type AttemptEnd, describeError, droppedLogger } from './attempt-end.js';
import { abortError, badRequestError, internalError } from './client-errors.js';
import type { Journey } from './journey.js';
import type { RelayDeps } from './types.js';

/** Everything one attempt works with. */
export interface AttemptContext {
  deps: RelayDeps;
  input: RelayInput;
  journey: Journey;
  lease: Lease;
  abort: AttemptAbort;
}

/** What the relay does after an attempt: answer the client, or try another triple. */
export type AttemptStep =
  | { kind: 'done'; result: RelayResult; streaming: boolean }
  | { kind: 'failover'; classification: Classification };

// A key that refused on its own account would refuse again for any of its models.
const KEY_REASONS: ReadonlySet<FailureReason> = new Set(['rate_limited', 'no_quota', 'invalid_key']);

/** The step after an attempt that did not succeed (it is already settled). */
export function stepAfter(ctx: AttemptContext, end: Exclude<AttemptEnd, { kind: 'ok' }>): AttemptStep {
  const { journey, lease, deps, input } = ctx;
  const error = (clientError: ReturnType<typeof internalError>): AttemptStep => ({
    kind: 'done',
    result: { kind: 'error', error: clientError, headers: journey.headers() },
    streaming: false,
  });
  switch (end.kind) {
    case 'aborted':
      return error(abortError(end.cause, deps.config.gateway.request_timeout));
    case 'internal':
      deps.log.error(
        { event: 'relay.internal_error', requestId: input.requestId, error: describeError(end.error) },
        'relay failed unexpectedly',
      );
      return error(internalError(input.requestId));
    case 'failure': {
      const { classification } = end;
      if (classification.reason === 'bad_request') return error(badRequestError(classification, end.status));
      journey.excludeTriples.add(lease.tripleId);
      if (KEY_REASONS.has(classification.reason)) journey.excludeKeys.add(lease.keyId);
      deps.log.debug(
        {
          event: 'relay.failover',
          requestId: input.requestId,
          provider: lease.provider,
          model: lease.model,
          keyId: lease.keyId,
          reason: classification.reason,
        },
        'attempt failed, trying another triple',
      );
      return { kind: 'failover', classification };
    }
  }
}

/** Where the leased key's call goes: its provider's settings, the key's secret and pinned proxy. */
export function leaseTarget(ctx: AttemptContext): UpstreamTarget {
  const { lease } = ctx;
  return upstreamTarget(ctx.deps.config, lease.provider, {
    id: lease.keyId,
    secret: lease.secret,
    pinnedProxyUrl: lease.pinnedProxyUrl,
  });
}

/** The attempt's call to its leased target, aborted with the attempt and logged under its request. */
export function sendLeased(
  ctx: AttemptContext,
  target: UpstreamTarget,
  build: (target: UpstreamTarget, call: CallContext) => UpstreamRequest,
): Promise<UpstreamCall> {
  const { deps, input, lease, abort } = ctx;
  return sendUpstream(deps.upstream, target, (call) => build(target, call), {
    signal: abort.signal,
    requestId: input.requestId,
    onDropped: droppedLogger(deps.log, input.requestId, lease.provider),
  });
}

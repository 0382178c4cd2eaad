import type { AttemptEnd } from './attempt-end.js';
import type { AttemptContext } from './attempt-step.js';

/**
 * How every stream attempt (chat or native) ends once its first byte reached the client: the attempt
 * is settled with its timing, a break is logged (the client already got an error event), and the
 * request is finished. One place, so both kinds of stream account for their end the same way.
 */
export function settleStreamEnd(
  ctx: AttemptContext,
  timing: { startedAt: number; ttfbMs: number; status: number | null },
  finish: () => void,
): (end: AttemptEnd) => void {
  const { deps, input, lease, abort } = ctx;
  return (end) => {
    abort.dispose();
    ctx.journey.settle(lease, end, { ...timing, endedAt: deps.now() });
    if (end.kind === 'failure' || end.kind === 'internal') {
      deps.log.warn(
        {
          event: 'relay.stream_broken',
          requestId: input.requestId,
          provider: lease.provider,
          keyId: lease.keyId,
          reason: end.kind === 'failure' ? end.classification.reason : 'internal',
        },
        'stream broke after the first byte; the client got an error event',
      );
    }
    finish();
  };
}

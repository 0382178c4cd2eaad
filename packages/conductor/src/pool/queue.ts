import type { Lease, LeaseRefusal, LeaseRequest } from '../contracts.js';

/** A request waiting for capacity, in arrival order. */
export interface Waiter {
  request: LeaseRequest;
  deadline: number;
  /** The earliest time something it could use may free up (from its last try). */
  retryAt: number;
  done: boolean;
  finish(result: Lease | LeaseRefusal): void;
}

export interface LeaseQueue {
  size(): number;
  /**
   * Adds a waiter that resolves with a lease, or `saturated` at its deadline or abort. Null when the
   * queue is at `maxDepth` (the caller refuses at once).
   */
  enqueue(
    request: LeaseRequest,
    waitMs: number,
    retryAt: number,
    now: number,
  ): Promise<Lease | LeaseRefusal> | null;
  /** The waiters in arrival order (a copy: waiters leave while a pass awaits). */
  snapshot(): Waiter[];
  /** Earliest retry time among the waiters. */
  earliestRetry(): number;
  /** Ends every waiter with `saturated` (shutdown). */
  clear(now: number): void;
}

/** Retry-After when nothing better is known. */
const DEFAULT_RETRY_MS = 1_000;

export function saturated(retryAt: number, now: number): LeaseRefusal {
  const wait = Number.isFinite(retryAt) ? Math.max(1, Math.ceil(retryAt - now)) : DEFAULT_RETRY_MS;
  return { kind: 'saturated', retryAfterMs: wait };
}

/** The fair queue: FIFO, bounded in depth and in each waiter's time. */
export function createLeaseQueue(maxDepth: number, now: () => number): LeaseQueue {
  const waiters: Waiter[] = [];
  const remove = (waiter: Waiter) => {
    const at = waiters.indexOf(waiter);
    if (at >= 0) waiters.splice(at, 1);
  };
  return {
    size: () => waiters.length,
    enqueue(request, waitMs, retryAt, at) {
      if (waiters.length >= maxDepth) return null;
      return new Promise<Lease | LeaseRefusal>((resolve) => {
        let timer: NodeJS.Timeout | null = null;
        const onAbort = () => waiter.finish(saturated(waiter.retryAt, now()));
        const waiter: Waiter = {
          request,
          deadline: at + waitMs,
          retryAt,
          done: false,
          finish(result) {
            if (waiter.done) return;
            waiter.done = true;
            if (timer) clearTimeout(timer);
            request.signal.removeEventListener('abort', onAbort);
            remove(waiter);
            resolve(result);
          },
        };
        waiters.push(waiter);
        timer = setTimeout(() => waiter.finish(saturated(waiter.retryAt, now())), waitMs);
        timer.unref();
        if (request.signal.aborted) onAbort();
        else request.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    snapshot: () => waiters.slice(),
    earliestRetry() {
      let earliest = Number.POSITIVE_INFINITY;
      for (const waiter of waiters) if (waiter.retryAt < earliest) earliest = waiter.retryAt;
      return earliest;
    },
    clear(at) {
      for (const waiter of waiters.slice()) waiter.finish(saturated(waiter.retryAt, at));
    },
  };
}

/*
 * Why a request or an attempt was aborted decides what happens next: a client that left is nobody's
 * fault (no penalty), a request over its time budget gets a 504, and a first-byte timeout is the
 * triple's `timeout` and fails over. An abort per stream attempt lets that timer end the attempt alone.
 */

import { type AbortCell, type AbortWatch, createAbortCell } from '@llmgw/core';

export type AbortCause = 'client' | 'request_timeout' | 'first_byte_timeout';

export interface AttemptAbort {
  readonly signal: AbortWatch;
  cause(): AbortCause | undefined;
  abort(cause: AbortCause): void;
  armFirstByte(timeoutMs: number): void;
  disarmFirstByte(): void;
  /** Unlinks from the request; call once the attempt is over. */
  dispose(): void;
}

export interface RequestAbort {
  readonly signal: AbortWatch;
  cause(): AbortCause | undefined;
  /**
   * The next attempt's abort. Only an attempt that can end alone (`endsAlone`: a stream, with its
   * first-byte timer and a client that may leave mid-body) gets an abort of its own; any other
   * attempt shares the request's signal, since an abort of its own with its listener costs more than
   * the rest of the attempt's bookkeeping. A shared attempt's `abort` ends the request.
   */
  forAttempt(endsAlone: boolean): AttemptAbort;
  /** Clears the request timer and the client listener. */
  dispose(): void;
}

/**
 * The request's abort: the client leaving or the time budget running out. `owned` is the caller's
 * own cell that `client` is (the HTTP layer's, aborted when its client leaves): it then serves as the
 * request's, so a request costs one cell and no listener. Without it, a cell of our own follows
 * `client` (a coalesced flight's signal, say).
 */
export function createRequestAbort(client: AbortWatch, timeoutMs: number, owned?: AbortCell): RequestAbort {
  const cell = owned === client && owned !== undefined ? owned : createAbortCell();
  const follows = cell !== owned;
  let cause: AbortCause | undefined;
  // An abort we did not make is the client's.
  const causeOf = () => cause ?? (cell.aborted ? 'client' : undefined);
  const abort = (why: AbortCause) => {
    if (cell.aborted) return;
    cause = why;
    cell.abort(new Error(`request aborted: ${why}`));
  };
  const onClient = () => abort('client');
  const timer = setTimeout(() => abort('request_timeout'), timeoutMs);
  if (follows) {
    if (client.aborted) abort('client');
    else client.addEventListener('abort', onClient, { once: true });
  }
  // Every non-stream attempt of the request hands out the same one.
  let shared: AttemptAbort | undefined;
  return {
    signal: cell,
    cause: causeOf,
    forAttempt(endsAlone) {
      if (endsAlone) return createAttemptAbort(cell, () => causeOf() ?? 'client');
      shared ??= sharedAttemptAbort(cell, causeOf, abort);
      return shared;
    },
    dispose() {
      clearTimeout(timer);
      if (follows) client.removeEventListener('abort', onClient);
    },
  };
}

function createAttemptAbort(request: AbortWatch, requestCause: () => AbortCause): AttemptAbort {
  const cell = createAbortCell();
  let cause: AbortCause | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abort = (why: AbortCause) => {
    if (cause !== undefined) return;
    cause = why;
    clearTimeout(timer);
    cell.abort(new Error(`attempt aborted: ${why}`));
  };
  const onRequest = () => abort(requestCause());
  if (request.aborted) onRequest();
  else request.addEventListener('abort', onRequest, { once: true });
  return {
    signal: cell,
    cause: () => cause,
    abort,
    armFirstByte(timeoutMs) {
      clearTimeout(timer);
      timer = setTimeout(() => abort('first_byte_timeout'), timeoutMs);
    },
    disarmFirstByte: () => clearTimeout(timer),
    dispose() {
      clearTimeout(timer);
      request.removeEventListener('abort', onRequest);
    },
  };
}

function sharedAttemptAbort(
  signal: AbortWatch,
  cause: () => AbortCause | undefined,
  abort: (why: AbortCause) => void,
): AttemptAbort {
  const cannotEndAlone = () => {
    throw new Error('this attempt shares its request signal: create it with forAttempt(true)');
  };
  return {
    signal,
    cause,
    abort,
    armFirstByte: cannotEndAlone,
    disarmFirstByte: () => {},
    dispose: () => {},
  };
}

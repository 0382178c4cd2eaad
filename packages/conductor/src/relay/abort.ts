/*
 * Why a request or an attempt was aborted decides what happens next: a client that left is nobody's
 * fault (no penalty), a request over its time budget gets a 504, and a first-byte timeout is the
 * triple's `timeout` and fails over. One controller per attempt lets that timer end the attempt alone.
 */

export type AbortCause = 'client' | 'request_timeout' | 'first_byte_timeout';

export interface AttemptAbort {
  readonly signal: AbortSignal;
  cause(): AbortCause | undefined;
  abort(cause: AbortCause): void;
  armFirstByte(timeoutMs: number): void;
  disarmFirstByte(): void;
  /** Unlinks from the request; call once the attempt is over. */
  dispose(): void;
}

export interface RequestAbort {
  readonly signal: AbortSignal;
  cause(): AbortCause | undefined;
  /**
   * The next attempt's abort. Only an attempt that can end alone (`endsAlone`: a stream, with its
   * first-byte timer and a client that may leave mid-body) gets a controller of its own; any other
   * attempt shares the request's signal, since an AbortController with its listener costs more than
   * the rest of the attempt's bookkeeping. A shared attempt's `abort` ends the request.
   */
  forAttempt(endsAlone: boolean): AttemptAbort;
  /** Clears the request timer and the client listener. */
  dispose(): void;
}

export function createRequestAbort(client: AbortSignal, timeoutMs: number): RequestAbort {
  const controller = new AbortController();
  let cause: AbortCause | undefined;
  const abort = (why: AbortCause) => {
    if (cause !== undefined) return;
    cause = why;
    controller.abort(new Error(`request aborted: ${why}`));
  };
  const onClient = () => abort('client');
  const timer = setTimeout(() => abort('request_timeout'), timeoutMs);
  if (client.aborted) abort('client');
  else client.addEventListener('abort', onClient, { once: true });
  return {
    signal: controller.signal,
    cause: () => cause,
    forAttempt: (endsAlone) =>
      endsAlone
        ? createAttemptAbort(controller.signal, () => cause ?? 'client')
        : sharedAttemptAbort(controller.signal, () => cause, abort),
    dispose() {
      clearTimeout(timer);
      client.removeEventListener('abort', onClient);
    },
  };
}

function createAttemptAbort(request: AbortSignal, requestCause: () => AbortCause): AttemptAbort {
  const controller = new AbortController();
  let cause: AbortCause | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abort = (why: AbortCause) => {
    if (cause !== undefined) return;
    cause = why;
    clearTimeout(timer);
    controller.abort(new Error(`attempt aborted: ${why}`));
  };
  const onRequest = () => abort(requestCause());
  if (request.aborted) onRequest();
  else request.addEventListener('abort', onRequest, { once: true });
  return {
    signal: controller.signal,
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
  signal: AbortSignal,
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

import { type AbortWatch, LlmgwError, withoutBom } from '@llmgw/core';
import type { Dispatcher } from 'undici';

export interface UpstreamResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /**
   * The body as it arrives. Read it, or call `dump()`: an unread body holds its socket. Breaking out of
   * the loop early aborts the call (and closes its socket). Errors are our transport errors, not undici's.
   */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Parses the whole body; a body that is not JSON rejects with the `SyntaxError` of `JSON.parse`. */
  json(): Promise<unknown>;
  /** Discards the body so the socket goes back to the pool (reads a little, then closes it). */
  dump(): Promise<void>;
}

/** One call in flight: the handler undici drives, and the response it settles. */
export interface UpstreamCall {
  handler: Dispatcher.DispatchHandler;
  /** Resolves at the response's headers; rejects with `fail(error)` when the call fails before them. */
  response: Promise<UpstreamResponse>;
  /** For a dispatch that threw before undici took the call: settles it and drops the abort listener. */
  abandon(error: unknown): void;
}

/** Bytes held for a reader that is not reading yet before the socket is paused (undici's default). */
const HIGH_WATER_BYTES = 64 * 1024;
/** A discarded body longer than this closes its socket rather than being read on (as undici's `dump`). */
const DUMP_LIMIT_BYTES = 128 * 1024;

type Reader = 'none' | 'stream' | 'whole' | 'discard';

/**
 * The response side of a call, as a dispatch handler. undici's `request()` wraps every response in a
 * `Readable` (with its events, an `AsyncResource` and an abort listener through `events`): 45 µs of
 * CPU per call in a client loop alone, and 10-12 % of the gateway's CPU per request at 500 req/s.
 * The gateway reads a body exactly once, whole or chunk by chunk, so a queue of chunks with one
 * waiting reader is all it needs. Backpressure is undici's: the socket pauses while
 * `HIGH_WATER_BYTES` wait unread.
 */
export function createUpstreamCall(
  signal: AbortWatch | undefined,
  fail: (error: unknown) => LlmgwError,
): UpstreamCall {
  let controller: Dispatcher.DispatchController | null = null;
  let resolve: (response: UpstreamResponse) => void = () => {};
  let reject: (error: LlmgwError) => void = () => {};
  const response = new Promise<UpstreamResponse>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  let started = false;
  let ended = false;
  let failed = false;
  let failure: unknown;
  const chunks: Buffer[] = [];
  let buffered = 0;
  let discarded = 0;
  let reader: Reader = 'none';
  let wake: (() => void) | null = null;

  const wakeReader = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  const arrival = () => new Promise<void>((onArrival) => (wake = onArrival));
  const untilDone = async () => {
    while (!ended && !failed) await arrival();
  };
  const onAbort = () => {
    const reason = asError(signal?.reason);
    if (controller !== null) controller.abort(reason);
    // Not yet on a socket (so no response either): answer the caller now; undici drops the call
    // when it reaches one.
    else reject(fail(reason));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = () => signal?.removeEventListener('abort', onAbort);
  const fill = () => {
    if (controller?.paused) controller.resume();
  };
  const claim = (as: Reader) => {
    if (reader !== 'none') throw new LlmgwError('the upstream body was already read');
    reader = as;
  };

  // A hand-written iterator rather than an `async function*`: V8 keeps a finished async generator,
  // and all it can reach, alive until the next mark-compact (docs/design/conductor.md).
  const read = async (): Promise<IteratorResult<Uint8Array>> => {
    for (;;) {
      if (buffered > 0) {
        // Whatever arrived since the last read, in one piece, as a `Readable` hands it over: a reader
        // that decides on the first events (fail over before the first byte) sees all that came with them.
        const chunk = joined(chunks, buffered);
        chunks.length = 0;
        buffered = 0;
        fill();
        return { done: false, value: chunk };
      }
      if (failed) throw fail(failure);
      if (ended) return { done: true, value: undefined };
      await arrival();
    }
  };
  const stream: AsyncIterableIterator<Uint8Array> = {
    next: read,
    async return() {
      // The reader left before the end: nobody will read the rest, so the socket cannot be reused.
      if (!ended && !failed) controller?.abort(new LlmgwError('upstream body abandoned by its reader'));
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };

  const text = async (): Promise<string> => {
    claim('whole');
    fill();
    await untilDone();
    if (failed) throw fail(failure);
    // As TextDecoder (and so undici's text()) does: a byte-order mark is not part of the text.
    return withoutBom(joined(chunks, buffered).toString('utf8'));
  };

  const dump = async (): Promise<void> => {
    if (reader !== 'none') return;
    reader = 'discard';
    discarded = buffered;
    chunks.length = 0;
    buffered = 0;
    if (ended || failed) return;
    if (discarded > DUMP_LIMIT_BYTES) {
      controller?.abort(tooLongToDiscard());
      return;
    }
    fill();
    await untilDone();
  };

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(assigned) {
      controller = assigned;
      if (signal?.aborted) assigned.abort(asError(signal.reason));
    },
    onResponseStart(_controller, status, headers) {
      // 1xx informational answers come before the real one.
      if (status < 200) return;
      started = true;
      resolve({
        status,
        headers: flattenHeaders(headers),
        body: {
          [Symbol.asyncIterator]() {
            claim('stream');
            return stream;
          },
        },
        text,
        json: async () => JSON.parse(await text()),
        dump,
      });
    },
    onResponseData(current, chunk) {
      if (reader === 'discard') {
        discarded += chunk.length;
        if (discarded > DUMP_LIMIT_BYTES) current.abort(tooLongToDiscard());
        return;
      }
      chunks.push(chunk);
      buffered += chunk.length;
      if (reader !== 'whole' && buffered >= HIGH_WATER_BYTES) current.pause();
      wakeReader();
    },
    onResponseEnd() {
      ended = true;
      done();
      wakeReader();
    },
    onResponseError(_controller, error) {
      done();
      if (!started) {
        reject(fail(error));
        return;
      }
      failed = true;
      failure = error;
      wakeReader();
    },
  };

  return {
    handler,
    response,
    abandon(error) {
      done();
      reject(fail(error));
    },
  };
}

// Module-level rather than closures in createUpstreamCall: that runs once per upstream call.
/** What arrived and is unread, as one buffer (no copy for the usual single chunk). */
function joined(chunks: readonly Buffer[], bytes: number): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
}

function tooLongToDiscard(): LlmgwError {
  return new LlmgwError('upstream body too long to discard');
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new LlmgwError(`aborted: ${String(reason)}`);
}

/**
 * undici already lower-cases names; only repeated headers arrive as arrays. Joined in place, in one pass,
 * so the usual response allocates nothing here.
 */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers as Record<string, string>;
}

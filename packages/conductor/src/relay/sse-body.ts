import type { ChatCompletionChunk } from '@llmgw/providers';
import type { RelayHeaders, RelayResult, SseFeed, SseRead } from '../contracts.js';
import type { AttemptAbort } from './abort.js';
import type { AttemptEnd } from './attempt-end.js';
import type { StreamPull, StreamSource } from './stream-source.js';

const encoder = new TextEncoder();
const DONE = 'data: [DONE]\n\n';

export interface SseBodyOptions {
  source: StreamSource;
  /** Chunks read while deciding that the attempt had started (the first byte). */
  first: StreamPull;
  abort: AttemptAbort;
  /** Called exactly once, however the stream ends: the clean end, a break, or the client leaving. */
  onEnd(end: AttemptEnd): void;
  /** How a break after the first byte is judged (the adapter's classifier, our abort causes). */
  judge(error: unknown): AttemptEnd;
}

/**
 * The client's SSE text, read one piece at a time. Pull-based, so a slow client slows the upstream
 * read (backpressure) instead of buffering. After the first byte there is no failover: a break becomes
 * an explicit error event and `[DONE]`, never a silent clean end. One consumer claims it: the Node
 * writer (`writeSse`) or, for everything else, the web stream `sseStream` makes of it.
 */
export function createSseFeed(options: SseBodyOptions): SseFeed {
  const { source, abort } = options;
  let pending: StreamPull | undefined = options.first;
  let ended = false;
  let claimed = false;

  const end = (result: AttemptEnd) => {
    if (ended) return;
    ended = true;
    options.onEnd(result);
  };

  // Listened to from the start, not from when a consumer arrives: a client that leaves (or a request
  // out of time) while nobody is reading must still free the lease.
  let closing: ((text: string) => void) | undefined;
  let closedWith: string | undefined;
  abort.signal.addEventListener(
    'abort',
    () => {
      if (ended) return;
      const result = options.judge(abort.signal.reason);
      void source.close();
      end(result);
      closedWith = result.kind === 'aborted' && result.cause === 'client' ? '' : errorEvent(result) + DONE;
      closing?.(closedWith);
    },
    { once: true },
  );

  return {
    claim() {
      if (claimed) return false;
      claimed = true;
      return true;
    },
    onAbort(close) {
      closing = close;
      if (closedWith !== undefined) close(closedWith);
    },
    async read(): Promise<SseRead | undefined> {
      const pull = pending ?? (await source.next());
      pending = undefined;
      if (ended) return undefined;
      let text = frames(pull.chunks);
      if (pull.kind === 'end') {
        text += DONE;
        end({ kind: 'ok', status: 200, usage: source.usage() });
      } else if (pull.kind === 'broken') {
        const result = options.judge(pull.error);
        end(result);
        text += errorEvent(result) + DONE;
      }
      return { text, last: pull.kind !== 'chunks' };
    },
    cancel() {
      abort.abort('client');
    },
  };
}

/** A feed as a web stream, for consumers that need one (cache, coalescing, other surfaces, tests). */
export function sseStream(feed: SseFeed): ReadableStream<Uint8Array> {
  if (!feed.claim()) throw new Error('this SSE feed already has a reader');
  return new ReadableStream<Uint8Array>({
    start(controller) {
      feed.onAbort((text) => {
        try {
          if (text !== '') controller.enqueue(encoder.encode(text));
          controller.close();
        } catch {
          // Already cancelled by the consumer: nothing left to tell.
        }
      });
    },
    async pull(controller) {
      const read = await feed.read();
      if (read === undefined) return;
      if (read.text !== '') controller.enqueue(encoder.encode(read.text));
      if (read.last) controller.close();
    },
    cancel() {
      feed.cancel();
    },
  });
}

/**
 * The stream result of a chat attempt. Its web stream is built only if someone asks for `body`
 * (constructing one costs about 20 µs on Node 20, 60 µs cold): the gateway's own HTTP path writes the
 * feed straight to the socket instead (`writeSse`). Reading `body` claims the feed, so a result copied
 * with its feed (`{ ...result }`) is still written once, through its web stream.
 */
export function sseResult(feed: SseFeed, headers: RelayHeaders): Extract<RelayResult, { kind: 'stream' }> {
  let body: ReadableStream<Uint8Array> | undefined;
  return {
    kind: 'stream',
    headers,
    feed,
    get body() {
      body ??= sseStream(feed);
      return body;
    },
  };
}

function frames(chunks: ChatCompletionChunk[]): string {
  let text = '';
  for (const chunk of chunks) text += `data: ${JSON.stringify(chunk)}\n\n`;
  return text;
}

function errorEvent(result: AttemptEnd): string {
  const error =
    result.kind === 'failure'
      ? {
          message: `upstream stream failed: ${result.classification.message}`,
          type: 'upstream_error',
          code: result.classification.reason,
        }
      : result.kind === 'aborted'
        ? { message: 'request timed out', type: 'timeout_error', code: 'request_timeout' }
        : { message: 'internal gateway error', type: 'server_error', code: 'internal_error' };
  return `data: ${JSON.stringify({ error })}\n\n`;
}

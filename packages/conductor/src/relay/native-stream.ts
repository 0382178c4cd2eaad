import type { UpstreamResponse } from '@llmgw/http';
import type { ResponsesStreamParser, Usage } from '@llmgw/providers';
import type { AttemptEnd } from './attempt-end.js';
import { createFeed, type StreamFeedOptions, sseStream } from './sse-feed.js';

/** The next piece of a native stream for the client: events, the proper end, or a break. */
export type NativePull =
  | { kind: 'events'; text: string }
  | { kind: 'end'; text: string }
  /** `reported`: `text` already ends with the upstream's own error events. */
  | { kind: 'broken'; text: string; error: unknown; reported: boolean };

export interface NativeSource {
  /** Reads until at least one whole event is ready, the stream ends, or it breaks. */
  next(): Promise<NativePull>;
  usage(): Usage | undefined;
  /** The events that close a stream broken on our side, in the native format. */
  failureEvents(error: { code: string; message: string }): string;
  /** Stops reading and lets go of the socket. */
  close(): Promise<void>;
}

/** An upstream's native event stream, read by the adapter's parser (which passes events through). */
export function createNativeSource(response: UpstreamResponse, parser: ResponsesStreamParser): NativeSource {
  const iterator = response.body[Symbol.asyncIterator]();
  let finished = false;

  // After the final event the upstream closes on its own: read to that end so the socket is reused.
  const drain = async () => {
    try {
      for (;;) if ((await iterator.next()).done) return;
    } catch {
      // The answer is complete; whatever happens to the rest of the body is nobody's concern.
    }
  };

  return {
    async next() {
      if (finished) return { kind: 'end', text: '' };
      try {
        for (;;) {
          const read = await iterator.next();
          const step = read.done ? parser.end() : parser.push(read.value);
          if (step.error !== undefined) {
            finished = true;
            return { kind: 'broken', text: step.text, error: step.error, reported: step.reported === true };
          }
          if (step.complete) {
            finished = true;
            if (!read.done) void drain();
            return { kind: 'end', text: step.text };
          }
          if (step.text !== '') return { kind: 'events', text: step.text };
        }
      } catch (error) {
        finished = true;
        return { kind: 'broken', text: '', error, reported: false };
      }
    },
    usage: () => parser.usage(),
    failureEvents: (error) => parser.failureEvents(error),
    async close() {
      finished = true;
      // Ending the iteration early destroys the body and its socket (see UpstreamResponse.body).
      await iterator.return?.().catch(() => undefined);
    },
  };
}

export type NativeSseBodyOptions = StreamFeedOptions<NativePull, NativeSource>;

/**
 * The client's body for a native stream: the upstream's events as they arrive, pull-based like the
 * chat body (a slow client slows the upstream read). A break after the first byte ends with the
 * format's error events (the upstream's own when it sent them), never a silent clean end.
 */
export function createNativeSseBody(options: NativeSseBodyOptions): ReadableStream<Uint8Array> {
  const { source, judge } = options;
  const feed = createFeed<NativePull>({
    ...options,
    render(pull) {
      if (pull.kind === 'end')
        return { text: pull.text, end: { kind: 'ok', status: 200, usage: source.usage() } };
      if (pull.kind === 'broken') {
        const result = judge(pull.error);
        return {
          text: pull.reported ? pull.text : pull.text + source.failureEvents(failureOf(result)),
          end: result,
        };
      }
      return { text: pull.text };
    },
    closingText: (result) => source.failureEvents(failureOf(result)),
  });
  return sseStream(feed);
}

/** The same words the chat stream's error event uses. */
function failureOf(result: AttemptEnd): { code: string; message: string } {
  if (result.kind === 'failure') {
    return {
      code: result.classification.reason,
      message: `upstream stream failed: ${result.classification.message}`,
    };
  }
  if (result.kind === 'aborted') return { code: 'request_timeout', message: 'request timed out' };
  return { code: 'internal_error', message: 'internal gateway error' };
}

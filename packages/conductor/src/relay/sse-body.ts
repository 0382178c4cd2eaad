import type { ChatCompletionChunk } from '@llmgw/providers';
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
 * The client's SSE body. Pull-based, so a slow client slows the upstream read (backpressure) instead
 * of buffering. After the first byte there is no failover: a break becomes an explicit error event
 * and `[DONE]`, never a silent clean end.
 */
export function createSseBody(options: SseBodyOptions): ReadableStream<Uint8Array> {
  const { source, abort } = options;
  let pending: StreamPull | undefined = options.first;
  let ended = false;

  const end = (result: AttemptEnd) => {
    if (ended) return;
    ended = true;
    options.onEnd(result);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      // A client that leaves (or a request out of time) while nobody is pulling must still free the lease.
      abort.signal.addEventListener(
        'abort',
        () => {
          if (ended) return;
          const result = options.judge(abort.signal.reason);
          void source.close();
          end(result);
          try {
            if (result.kind !== 'aborted' || result.cause !== 'client') {
              controller.enqueue(encoder.encode(errorEvent(result) + DONE));
            }
            controller.close();
          } catch {
            // Already cancelled by the consumer: nothing left to tell.
          }
        },
        { once: true },
      );
    },
    async pull(controller) {
      const pull = pending ?? (await source.next());
      pending = undefined;
      if (ended) return;
      let text = frames(pull.chunks);
      if (pull.kind === 'end') {
        text += DONE;
        end({ kind: 'ok', status: 200, usage: source.usage() });
      } else if (pull.kind === 'broken') {
        const result = options.judge(pull.error);
        end(result);
        text += errorEvent(result) + DONE;
      }
      if (text !== '') controller.enqueue(encoder.encode(text));
      if (pull.kind !== 'chunks') controller.close();
    },
    cancel() {
      abort.abort('client');
    },
  });
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

import { type ChatCompletionChunk, createSseDecoder, type SseEvent } from '@llmgw/providers';

/** One streamed tool-call fragment of a chat chunk (`index`, and `id`/`name` on its first one). */
export type ToolCallFragment = NonNullable<
  ChatCompletionChunk['choices'][number]['delta']['tool_calls']
>[number];

/** What ended a relayed chat stream early: the relay's error event, or a stream that just stopped. */
export interface StreamFailure {
  message: string;
  type: string;
  code: string;
}

/** Turns the relay's chat chunks into one surface's SSE frames (already framed text). */
export interface ChatStreamTranslator {
  /** Frames sent before any chunk (may be ''). */
  start(): string;
  chunk(chunk: ChatCompletionChunk): string;
  /** The chat stream ended cleanly (`[DONE]`). */
  done(): string;
  fail(failure: StreamFailure): string;
}

const encoder = new TextEncoder();

/**
 * The relay's SSE body (chat chunks, `data: {"error":…}` on a break, `[DONE]`) re-framed for another
 * client surface. Pull-based like the relay's own body, so a slow client still slows the upstream read;
 * a client that leaves cancels the relay's body, which aborts the upstream call (no penalty).
 */
export function translateChatStream(
  source: ReadableStream<Uint8Array>,
  translator: ChatStreamTranslator,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const sse = createSseDecoder();
  let started = false;
  let finished = false;

  const handle = (message: SseEvent): string => {
    if (message.data === '[DONE]') {
      finished = true;
      return translator.done();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.data);
    } catch {
      finished = true;
      return translator.fail({
        message: 'the upstream stream carried a frame that is not JSON',
        type: 'server_error',
        code: 'bad_stream',
      });
    }
    if (typeof parsed !== 'object' || parsed === null) return '';
    const error = (parsed as { error?: unknown }).error;
    if (error !== undefined && error !== null) {
      finished = true;
      return translator.fail(failureOf(error));
    }
    return translator.chunk(parsed as ChatCompletionChunk);
  };

  const drainSource = () => {
    // The relay closes right after `[DONE]`; reading to the end (not cancelling) keeps its clean finish.
    const next = (): Promise<void> =>
      reader.read().then(
        (step) => (step.done ? undefined : next()),
        () => undefined,
      );
    void next();
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let out = '';
      if (!started) {
        started = true;
        out = translator.start();
      }
      while (out === '' && !finished) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch {
          finished = true;
          out += translator.fail({
            message: 'the upstream stream failed',
            type: 'server_error',
            code: 'stream_error',
          });
          break;
        }
        const messages = step.done ? sse.end() : sse.push(step.value);
        for (const message of messages) {
          if (finished) break;
          out += handle(message);
        }
        if (step.done && !finished) {
          finished = true;
          out += translator.fail({
            message: 'the upstream stream ended before it was complete',
            type: 'server_error',
            code: 'stream_cut',
          });
        } else if (step.done) {
          break;
        }
      }
      if (out !== '') controller.enqueue(encoder.encode(out));
      if (finished) {
        controller.close();
        drainSource();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function failureOf(error: unknown): StreamFailure {
  const record = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
  return {
    message: text(record.message, 'the upstream stream failed'),
    type: text(record.type, 'server_error'),
    code: text(record.code, 'server_error'),
  };
}

import type { Classification, UpstreamFailure } from '@llmgw/core';
import type { ChatCompletionChunk } from '../openai-types.js';
import type { StreamParser } from '../types.js';
import { createSseDecoder, type SseEvent } from './sse.js';
import { createStreamError, truncatedStream } from './stream-error.js';

export type EventOutcome = ChatCompletionChunk[] | { failure: UpstreamFailure; malformed?: true };

/** The provider-specific half of a stream parser: what one SSE event means, and how a clean end looks. */
export interface StreamEventHandler {
  handle(event: SseEvent): EventOutcome;
  /** Chunks owed at a clean end (e.g. the usage chunk), or undefined if the stream was cut short. */
  finish(): ChatCompletionChunk[] | undefined;
}

/** A 2xx stream event that is not the JSON it should be: the upstream's fault, like a 502. */
export function malformedEvent(data: string): { failure: UpstreamFailure; malformed: true } {
  return { failure: { status: 502, body: data.slice(0, 2000) }, malformed: true };
}

/**
 * Wires SSE decoding to a provider's event handler. Classification is the provider's (passed in
 * from its errors.ts); this only decides when a failure is thrown and keeps earlier chunks with it.
 */
export function createEventStreamParser(
  handler: StreamEventHandler,
  classify: (failure: UpstreamFailure, now: number) => Classification,
): StreamParser {
  const sse = createSseDecoder();
  let failed = false;

  const fail = (failure: UpstreamFailure, chunks: ChatCompletionChunk[]) => {
    failed = true;
    return createStreamError(failure, classify(failure, Date.now()), chunks);
  };

  /** `atEnd`: the events were flushed at close, so an unreadable one is a cut-off half, not garbage. */
  const run = (events: SseEvent[], atEnd: boolean): ChatCompletionChunk[] => {
    const chunks: ChatCompletionChunk[] = [];
    for (const event of events) {
      const outcome = handler.handle(event);
      if (Array.isArray(outcome)) {
        chunks.push(...outcome);
        continue;
      }
      throw fail(atEnd && outcome.malformed ? truncatedStream : outcome.failure, chunks);
    }
    return chunks;
  };

  return {
    push(data) {
      // After a failure the rest of the stream is meaningless; the conductor has already moved on.
      if (failed) return [];
      return run(sse.push(data), false);
    },
    end() {
      if (failed) return [];
      const chunks = run(sse.end(), true);
      const tail = handler.finish();
      if (tail === undefined) throw fail(truncatedStream, chunks);
      return [...chunks, ...tail];
    },
  };
}

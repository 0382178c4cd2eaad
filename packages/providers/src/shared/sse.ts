import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SseEvent = EventSourceMessage;

export interface SseDecoder {
  push(data: Uint8Array | string): SseEvent[];
  /** Flushes the last event even without its blank line: a final `data: [DONE]` may lack one. */
  end(): SseEvent[];
}

/**
 * Bytes → SSE events, correct for any split of the input: TextDecoder in stream mode keeps a
 * multi-byte character cut between two reads, and eventsource-parser keeps partial lines (including
 * a `\r` whose `\n` is still in flight). Comments (`: keep-alive`) and blank lines produce nothing.
 */
export function createSseDecoder(): SseDecoder {
  const decoder = new TextDecoder('utf-8');
  let events: SseEvent[] = [];
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
    },
  });
  const drain = (): SseEvent[] => {
    const out = events;
    events = [];
    return out;
  };
  return {
    push(data) {
      parser.feed(typeof data === 'string' ? data : decoder.decode(data, { stream: true }));
      return drain();
    },
    end() {
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
      // Two line ends terminate whatever is pending, including a trailing `\r` held back in case its
      // `\n` was still coming; the caller decides whether such a last event is whole.
      parser.feed('\n\n');
      parser.reset();
      return drain();
    },
  };
}

import { StringDecoder } from 'node:string_decoder';
import { withoutBom } from '@llmgw/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SseEvent = EventSourceMessage;

export interface SseDecoder {
  push(data: Uint8Array | string): SseEvent[];
  /** Flushes the last event even without its blank line: a final `data: [DONE]` may lack one. */
  end(): SseEvent[];
}

/**
 * Bytes → SSE events, correct for any split of the input: the string decoder keeps a multi-byte
 * character cut between two reads, and eventsource-parser keeps partial lines (including a `\r`
 * whose `\n` is still in flight). Comments (`: keep-alive`) and blank lines produce nothing.
 *
 * Node's StringDecoder rather than a streaming TextDecoder: each stream makes one, and a TextDecoder
 * in stream mode opens an ICU converter and decodes through it, which was a fifth of the time from a
 * stream's headers to its first byte written (sequential streams, CPU profile). Unlike TextDecoder it
 * keeps a byte-order mark, so the first text drops it here.
 */
export function createSseDecoder(): SseDecoder {
  const decoder = new StringDecoder('utf8');
  let started = false;
  const decode = (text: string): string => {
    if (started || text === '') return text;
    started = true;
    return withoutBom(text);
  };
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
      parser.feed(typeof data === 'string' ? data : decode(decoder.write(data)));
      return drain();
    },
    end() {
      const rest = decode(decoder.end());
      if (rest) parser.feed(rest);
      // Two line ends terminate whatever is pending, including a trailing `\r` held back in case its
      // `\n` was still coming; the caller decides whether such a last event is whole.
      parser.feed('\n\n');
      parser.reset();
      return drain();
    },
  };
}

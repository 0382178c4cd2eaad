/** One server-sent event: its `event:` name (if any) and its `data:` lines joined by newlines. */
export interface SseMessage {
  event: string | undefined;
  data: string;
}

export interface SseReader {
  /** Decoded text as it arrives, cut anywhere; returns the events it completed. */
  push(text: string): SseMessage[];
  /** The rest, once the stream ended (an event without its blank line still counts). */
  end(): SseMessage[];
}

/**
 * A small incremental SSE parser (WHATWG rules that matter here: `\n`, `\r\n` or `\r` line ends,
 * comments, multi-line data, an optional space after the colon). The relay frames its own chunks
 * today, but may pass an upstream's bytes through one day, so nothing narrower is assumed.
 */
export function createSseReader(): SseReader {
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];

  const dispatch = (out: SseMessage[]) => {
    if (data.length > 0) out.push({ event, data: data.join('\n') });
    event = undefined;
    data = [];
  };

  const line = (text: string, out: SseMessage[]) => {
    if (text === '') return dispatch(out);
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  };

  const drain = (final: boolean): SseMessage[] => {
    const out: SseMessage[] = [];
    let start = 0;
    for (let index = 0; index < buffer.length; index += 1) {
      const char = buffer.charCodeAt(index);
      if (char !== 10 && char !== 13) continue;
      // A `\r` at the very end may be half of a `\r\n`: wait for the next piece unless this is the end.
      if (char === 13 && index === buffer.length - 1 && !final) break;
      line(buffer.slice(start, index), out);
      if (char === 13 && buffer.charCodeAt(index + 1) === 10) index += 1;
      start = index + 1;
    }
    buffer = buffer.slice(start);
    if (final) {
      if (buffer !== '') line(buffer, out);
      buffer = '';
      dispatch(out);
    }
    return out;
  };

  return {
    push(text) {
      buffer += text;
      return drain(false);
    },
    end() {
      return drain(true);
    },
  };
}

import { describe, expect, it } from 'vitest';
import { createSseDecoder } from './sse.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function dataOf(pushes: Array<Uint8Array | string>): string[] {
  const decoder = createSseDecoder();
  const events = pushes.flatMap((push) => decoder.push(push));
  return [...events, ...decoder.end()].map((event) => event.data);
}

describe('createSseDecoder', () => {
  it('keeps a multi-byte character cut between two reads', () => {
    const whole = bytes('data: héllo 🙂\n\n');
    const cuts = [8, 9, 15, 16, 17];
    for (const cut of cuts) {
      expect(dataOf([whole.subarray(0, cut), whole.subarray(cut)])).toEqual(['héllo 🙂']);
    }
  });

  it('gives the same events for every split of the bytes, one byte at a time included', () => {
    const whole = bytes('data: {"a":"ü"}\r\n\r\n: keep-alive\n\nevent: x\ndata: два\n\n');
    const oneByOne = Array.from(whole, (byte) => Uint8Array.of(byte));
    expect(dataOf(oneByOne)).toEqual(['{"a":"ü"}', 'два']);
    expect(dataOf([whole])).toEqual(['{"a":"ü"}', 'два']);
  });

  it('drops a byte-order mark at the start, even split across reads, and nowhere else', () => {
    const marked = bytes('\uFEFFdata: a\n\ndata: \uFEFFb\n\n');
    expect(dataOf([marked])).toEqual(['a', '\uFEFFb']);
    expect(dataOf([marked.subarray(0, 1), marked.subarray(1, 2), marked.subarray(2)])).toEqual([
      'a',
      '\uFEFFb',
    ]);
  });

  it('replaces bytes that are not UTF-8 rather than failing', () => {
    expect(dataOf([Uint8Array.of(...bytes('data: a'), 0xff, ...bytes('b\n\n'))])).toEqual(['a\uFFFDb']);
  });

  it('flushes a last event without its blank line at the end', () => {
    expect(dataOf([bytes('data: one\n\ndata: [DONE]')])).toEqual(['one', '[DONE]']);
  });

  it('keeps event names, joins multi-line data and skips comments, however the text is cut', () => {
    const text = 'event: a\ndata: {"x":1}\n\n: a comment\ndata: first\ndata: second\n\ndata:[DONE]\n\n';
    const events = (pushes: string[]) => {
      const decoder = createSseDecoder();
      return [...pushes.flatMap((push) => decoder.push(push)), ...decoder.end()].map(({ event, data }) => ({
        event,
        data,
      }));
    };
    const expected = [
      { event: 'a', data: '{"x":1}' },
      { event: undefined, data: 'first\nsecond' },
      { event: undefined, data: '[DONE]' },
    ];
    expect(events([text])).toEqual(expected);
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(events([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    }
  });

  it('accepts CRLF and CR line ends, a CRLF split between pieces included', () => {
    expect(dataOf(['data: one\r', '\n\r\ndata: two\r\r'])).toEqual(['one', 'two']);
  });
});

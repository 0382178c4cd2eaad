import { describe, expect, it } from 'vitest';
import { createSseReader } from './sse-reader.js';

describe('createSseReader', () => {
  it('yields the same events however the text is cut', () => {
    const text = 'event: a\ndata: {"x":1}\n\n: a comment\ndata: first\ndata: second\n\ndata:[DONE]\n\n';
    const whole = createSseReader();
    const expected = [...whole.push(text), ...whole.end()];
    expect(expected).toEqual([
      { event: 'a', data: '{"x":1}' },
      { event: undefined, data: 'first\nsecond' },
      { event: undefined, data: '[DONE]' },
    ]);
    for (let cut = 1; cut < text.length; cut += 1) {
      const reader = createSseReader();
      const events = [...reader.push(text.slice(0, cut)), ...reader.push(text.slice(cut)), ...reader.end()];
      expect(events).toEqual(expected);
    }
  });

  it('accepts CRLF and CR line ends, a CRLF split between pieces included', () => {
    const reader = createSseReader();
    const events = [...reader.push('data: one\r'), ...reader.push('\n\r\ndata: two\r\r'), ...reader.end()];
    expect(events.map((event) => event.data)).toEqual(['one', 'two']);
  });

  it('dispatches a last event that lacks its blank line at the end of the stream', () => {
    const reader = createSseReader();
    expect(reader.push('data: tail')).toEqual([]);
    expect(reader.end()).toEqual([{ event: undefined, data: 'tail' }]);
  });
});

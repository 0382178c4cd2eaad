import { describe, expect, it } from 'vitest';
import { captureSse, completePayloads, replaySse } from './sse-capture.js';

const encoder = new TextEncoder();

function bodyOf(pieces: readonly string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

describe('sse capture', () => {
  it('passes the body through unchanged and hands over the payloads of a clean end', async () => {
    // Frames split across reads, as the network delivers them.
    const pieces = ['data: {"b":1,"a"', ':2}\n\ndata: {"x":"y"}\n', '\ndata: [DONE]\n\n'];
    let captured: string[] | undefined;
    const passed = await new Response(
      captureSse(bodyOf(pieces), async (payloads) => {
        captured = payloads;
      }),
    ).text();
    expect(passed).toBe(pieces.join(''));
    expect(captured).toEqual(['{"b":1,"a":2}', '{"x":"y"}']);
    expect(await new Response(replaySse(captured ?? [])).text()).toBe(passed);
  });

  it('keeps nothing of a stream that broke, ended without [DONE], or was abandoned', async () => {
    expect(
      completePayloads('data: {"a":1}\n\ndata: {"error":{"message":"cut"}}\n\ndata: [DONE]\n\n'),
    ).toBeUndefined();
    expect(completePayloads('data: {"a":1}\n\n')).toBeUndefined();
    expect(completePayloads(': keep-alive\n\ndata: [DONE]\n\n')).toBeUndefined();

    let called = false;
    const reader = captureSse(bodyOf(['data: {"a":1}\n\n', 'data: [DONE]\n\n']), async () => {
      called = true;
    }).getReader();
    await reader.read();
    await reader.cancel();
    expect(called).toBe(false);
  });
});

const DONE = '[DONE]';

/**
 * Passes an SSE body through unchanged and, once it ended cleanly (`[DONE]`, no error event), hands
 * over its `data:` payloads. A stream the client abandoned never reaches `flush`, so it is never kept.
 * `onComplete` runs before the body closes: a client that reads to the end finds the entry stored.
 */
export function captureSse(
  body: ReadableStream<Uint8Array>,
  onComplete: (payloads: string[]) => Promise<void>,
): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  const capture = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      parts.push(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      const payloads = completePayloads(Buffer.concat(parts).toString('utf8'));
      if (payloads) await onComplete(payloads);
    },
  });
  return body.pipeThrough(capture);
}

/** The payloads of a stream that ended with `[DONE]` and carried no error event; else undefined. */
export function completePayloads(text: string): string[] | undefined {
  const payloads: string[] = [];
  for (const frame of text.split('\n\n')) {
    if (frame === '') continue;
    if (!frame.startsWith('data: ')) return undefined;
    payloads.push(frame.slice('data: '.length));
  }
  if (payloads.pop() !== DONE) return undefined;
  if (payloads.some((payload) => payload === DONE || payload.startsWith('{"error"'))) return undefined;
  return payloads;
}

/** The stream a client received, rebuilt from its payloads: the same bytes, in one piece. */
export function replaySse(payloads: readonly string[]): ReadableStream<Uint8Array> {
  let text = '';
  for (const payload of payloads) text += `data: ${payload}\n\n`;
  const bytes = new TextEncoder().encode(`${text}data: ${DONE}\n\n`);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

import { describe, expect, it } from 'vitest';
import { createRequestAbort } from './abort.js';

describe('request and attempt aborts', () => {
  it('a non-stream attempt shares the request signal and ends with the request', () => {
    const client = new AbortController();
    const request = createRequestAbort(client.signal, 60_000);
    const attempt = request.forAttempt(false);
    expect(attempt.signal).toBe(request.signal);
    expect(attempt.cause()).toBeUndefined();
    client.abort();
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.cause()).toBe('client');
    expect(() => attempt.armFirstByte(10)).toThrow(/forAttempt\(true\)/);
    request.dispose();
  });

  it('a stream attempt ends alone on its first-byte timer and leaves the request running', async () => {
    const client = new AbortController();
    const request = createRequestAbort(client.signal, 60_000);
    const attempt = request.forAttempt(true);
    expect(attempt.signal).not.toBe(request.signal);
    attempt.armFirstByte(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.cause()).toBe('first_byte_timeout');
    expect(request.signal.aborted).toBe(false);
    attempt.dispose();
    request.dispose();
  });

  it('a request over its time budget aborts its stream attempt with the request cause', async () => {
    const request = createRequestAbort(new AbortController().signal, 5);
    const attempt = request.forAttempt(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(request.cause()).toBe('request_timeout');
    expect(attempt.cause()).toBe('request_timeout');
    attempt.dispose();
    request.dispose();
  });
});

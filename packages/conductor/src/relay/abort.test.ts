import { createAbortCell } from '@llmgw/core';
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
    expect(request.forAttempt(false)).toBe(attempt);
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

  it("uses the caller's own cell as the request's: the client leaving reads as 'client'", () => {
    const owned = createAbortCell();
    const request = createRequestAbort(owned, 60_000, owned);
    expect(request.signal).toBe(owned);
    expect(request.cause()).toBeUndefined();
    owned.abort(new Error('client closed the connection'));
    expect(request.cause()).toBe('client');
    expect(request.forAttempt(false).cause()).toBe('client');
    request.dispose();
  });

  it("aborts the caller's own cell itself when the request runs over its budget", async () => {
    const owned = createAbortCell();
    const request = createRequestAbort(owned, 5, owned);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(owned.aborted).toBe(true);
    expect(request.cause()).toBe('request_timeout');
    request.dispose();
  });

  it('follows a signal it does not own with a cell of its own', () => {
    const flight = new AbortController();
    const unrelated = createAbortCell();
    const request = createRequestAbort(flight.signal, 60_000, unrelated);
    expect(request.signal).not.toBe(flight.signal);
    flight.abort();
    expect(request.signal.aborted).toBe(true);
    expect(request.cause()).toBe('client');
    expect(unrelated.aborted).toBe(false);
    request.dispose();
  });
});

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createHttpClients, type HttpClients } from './http-clients.js';
import { rejectionOf, startUpstream, TEST_SETTINGS, type TestUpstream } from './test-servers.js';
import { isClientAbort } from './transport-error.js';

let clients: HttpClients;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await clients.close();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const direct = { route: { kind: 'direct' } as const };
const call = (url: string, body = '{}') => ({ method: 'POST' as const, url, headers: {}, body });

async function upstreamWith(
  handler: (outgoing: ServerResponse, socket: Socket) => void,
  settings = TEST_SETTINGS,
): Promise<TestUpstream> {
  const upstream = await startUpstream((incoming, outgoing) => {
    // A call the client abandons resets the socket; that is the point of some tests, not a failure.
    incoming.on('error', () => {});
    outgoing.on('error', () => {});
    incoming.resume();
    incoming.once('end', () => handler(outgoing, incoming.socket));
  });
  cleanups.push(upstream.close);
  clients = createHttpClients(settings);
  return upstream;
}

/** Resolves when the server's socket closed (a reset is the expected way; `once` would reject on it). */
function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/** Writes `pieces` of `size` bytes as fast as the socket takes them; counts what left. */
function pour(outgoing: ServerResponse, pieces: number, size: number) {
  const piece = Buffer.alloc(size, 'x');
  const state = { written: 0, finished: false };
  const next = () => {
    while (state.written < pieces) {
      state.written += 1;
      if (!outgoing.write(piece)) {
        outgoing.once('drain', next);
        return;
      }
    }
    outgoing.end();
    state.finished = true;
  };
  outgoing.writeHead(200, { 'content-type': 'application/octet-stream' });
  next();
  return state;
}

describe('the response body', () => {
  test('a body nobody reads pauses the upstream socket instead of filling memory', async () => {
    let poured: { written: number; finished: boolean } | undefined;
    const upstream = await upstreamWith((outgoing) => {
      poured = pour(outgoing, 400, 64 * 1024);
    });
    const response = await clients.send(call(upstream.url), direct);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 25 MiB offered; what left is only what the kernel's socket buffers and one high-water mark hold.
    expect(poured?.finished).toBe(false);
    expect(poured?.written ?? 0).toBeLessThan(100);
    let bytes = 0;
    for await (const chunk of response.body) bytes += chunk.byteLength;
    expect(bytes).toBe(400 * 64 * 1024);
    expect(poured?.finished).toBe(true);
  });

  test('what arrived before the reader asked comes in one piece, the rest as it arrives', async () => {
    let release: () => void = () => {};
    const upstream = await upstreamWith((outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      outgoing.write('data: one\n\n');
      setTimeout(() => outgoing.write('data: two\n\n'), 20);
      release = () => outgoing.end('data: three\n\n');
    });
    const response = await clients.send(call(upstream.url), direct);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pieces: string[] = [];
    for await (const chunk of response.body) {
      pieces.push(Buffer.from(chunk).toString('utf8'));
      if (pieces.length === 1) release();
    }
    expect(pieces[0]).toBe('data: one\n\ndata: two\n\n');
    expect(pieces.join('')).toBe('data: one\n\ndata: two\n\ndata: three\n\n');
  });

  test('text() decodes characters split between chunks and drops a byte-order mark', async () => {
    const whole = Buffer.from('\uFEFF{"content":"привет, 世界"}', 'utf8');
    const upstream = await upstreamWith((outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      // One byte at a time, each in its own write, so multi-byte characters arrive in pieces.
      let at = 0;
      const tick = setInterval(() => {
        outgoing.write(whole.subarray(at, at + 1));
        at += 1;
        if (at >= whole.length) {
          clearInterval(tick);
          outgoing.end();
        }
      }, 1);
    });
    const response = await clients.send(call(upstream.url), direct);
    expect(await response.json()).toEqual({ content: 'привет, 世界' });
  });

  test('a body can be read only once', async () => {
    const upstream = await upstreamWith((outgoing) => outgoing.end('{"a":1}'));
    const response = await clients.send(call(upstream.url), direct);
    expect(await response.text()).toBe('{"a":1}');
    const error = await rejectionOf(() => response.text());
    expect(String(error)).toMatch(/already read/);
  });

  test('leaving the loop before the end closes the upstream socket', async () => {
    let socket: Socket | undefined;
    const upstream = await upstreamWith((outgoing, serverSocket) => {
      socket = serverSocket;
      pour(outgoing, 1000, 16 * 1024);
    });
    const response = await clients.send(call(upstream.url), direct);
    for await (const _chunk of response.body) break;
    if (socket === undefined) throw new Error('upstream never saw the call');
    await closed(socket);
    expect(socket.destroyed).toBe(true);
  });

  test('dump() of a short error body keeps the socket for the next call', async () => {
    let socket: Socket | undefined;
    let status = 429;
    const upstream = await upstreamWith((outgoing, serverSocket) => {
      socket ??= serverSocket;
      outgoing.writeHead(status, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: { message: 'x'.repeat(2_000) } }));
    });
    const first = await clients.send(call(upstream.url), direct);
    expect(first.status).toBe(429);
    await first.dump();
    // undici hands the socket back to its pool on the next tick.
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = 200;
    const second = await clients.send(call(upstream.url), direct);
    expect(second.status).toBe(200);
    await second.text();
    expect(upstream.connections()).toBe(1);
    expect(socket?.destroyed).toBe(false);
  });

  test('dump() of a long body closes the socket rather than reading it all', async () => {
    let poured: { written: number; finished: boolean } | undefined;
    let socket: Socket | undefined;
    const upstream = await upstreamWith((outgoing, serverSocket) => {
      socket = serverSocket;
      poured = pour(outgoing, 2_000, 64 * 1024);
    });
    const response = await clients.send(call(upstream.url), direct);
    await response.dump();
    if (socket === undefined) throw new Error('upstream never saw the call');
    await closed(socket);
    expect(poured?.finished).toBe(false);
  });

  test('a call waiting for a socket is a client abort at once when its caller leaves', async () => {
    const upstream = await upstreamWith(
      (outgoing) => {
        setTimeout(() => outgoing.end('{}'), 500);
      },
      { ...TEST_SETTINGS, connectionsPerOrigin: 1 },
    );
    const busy = clients.send(call(upstream.url), direct);
    const controller = new AbortController();
    const waiting = clients.send(call(upstream.url), { ...direct, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = Date.now();
    controller.abort();
    const error = await rejectionOf(() => waiting);
    expect(Date.now() - startedAt).toBeLessThan(100);
    expect(isClientAbort(error)).toBe(true);
    expect(await (await busy).text()).toBe('{}');
    // The dropped call never reached the upstream.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.connections()).toBe(1);
  });
});

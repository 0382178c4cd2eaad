import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { SseFeed, SseRead } from '../contracts.js';
import { writeSse } from './write-sse.js';

/** A feed of our own making: pieces on demand, counting reads, recording cancels and abort hooks. */
function testFeed(next: (index: number) => SseRead | Promise<SseRead>) {
  const state = { reads: 0, cancelled: 0, close: undefined as ((text: string) => void) | undefined };
  const feed: SseFeed = {
    claim: () => true,
    read: async () => next(state.reads++),
    onAbort(close) {
      state.close = close;
    },
    cancel() {
      state.cancelled += 1;
    },
  };
  return { feed, state };
}

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A real server on a loopback port whose every response is `writeSse` of the given feed. */
async function serve(feed: SseFeed): Promise<number> {
  server = createServer((request, response) => {
    request.resume();
    writeSse(response, { 'content-type': 'text/event-stream', 'x-llm-attempts': '1' }, feed);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A raw client, so the test sees the bytes as they arrive and can stop reading. */
async function rawRequest(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await once(socket, 'connect');
  socket.write(
    'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}',
  );
  return socket;
}

function collect(socket: Socket): { reads: string[]; text: () => string } {
  const reads: string[] = [];
  socket.on('data', (chunk: Buffer) => reads.push(chunk.toString('utf8')));
  return { reads, text: () => reads.join('') };
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('writeSse: a chat stream straight to the socket', () => {
  test('the headers leave with the first event in one write, then every piece, then the end', async () => {
    const pieces = ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: [DONE]\n\n'];
    const { feed, state } = testFeed(async (index) => {
      // Later pieces come a moment apart, as an upstream's do.
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return { text: pieces[index] ?? '', last: index === pieces.length - 1 };
    });
    const socket = await rawRequest(await serve(feed));
    const received = collect(socket);
    await once(socket, 'end');
    expect(received.reads[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*x-llm-attempts: 1\r\n[\s\S]*\r\n\r\n/);
    expect(received.reads[0]).toContain('data: {"n":1}');
    expect(received.text()).toContain('data: {"n":2}');
    expect(received.text()).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
    expect(state.reads).toBe(3);
    expect(state.cancelled).toBe(0);
  });

  test('a client that stops reading pauses the feed until its socket drains', async () => {
    const piece = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    const { feed, state } = testFeed((index) => ({ text: index < 400 ? piece : '', last: index >= 400 }));
    const socket = await rawRequest(await serve(feed));
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The socket buffers hold a few hundred KiB; without backpressure all 400 pieces (25 MiB) would be read.
    const whilePaused = state.reads;
    expect(whilePaused).toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.reads).toBe(whilePaused);

    const received = collect(socket);
    socket.resume();
    await once(socket, 'end');
    expect(state.reads).toBe(401);
    expect(received.text().endsWith('0\r\n\r\n')).toBe(true);
  });

  test('a client that leaves mid-stream cancels the feed, once', async () => {
    const { feed, state } = testFeed(async (index) => {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      return { text: `data: {"n":${index}}\n\n`, last: false };
    });
    const socket = await rawRequest(await serve(feed));
    const received = collect(socket);
    await until(() => received.text().includes('data: {"n":1}'));
    socket.destroy();
    await until(() => state.cancelled > 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(state.cancelled).toBe(1);
  });

  test('an abort between reads writes its closing text and ends the response', async () => {
    let release: ((read: SseRead) => void) | undefined;
    const { feed, state } = testFeed((index) =>
      index === 0
        ? { text: 'data: {"n":0}\n\n', last: false }
        : new Promise<SseRead>((resolve) => {
            release = resolve;
          }),
    );
    const socket = await rawRequest(await serve(feed));
    const received = collect(socket);
    await until(() => received.text().includes('data: {"n":0}') && state.close !== undefined);
    state.close?.('data: {"error":{"code":"request_timeout"}}\n\ndata: [DONE]\n\n');
    await once(socket, 'end');
    expect(received.text()).toMatch(/"request_timeout"[\s\S]*data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
    // The read that was pending when the abort came finds the response ended and writes nothing more.
    release?.({ text: 'data: {"n":1}\n\n', last: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.text()).not.toContain('"n":1');
    expect(state.cancelled).toBe(0);
  });

  test('a feed that throws cuts the connection and cancels the attempt', async () => {
    const { feed, state } = testFeed(async (index) => {
      if (index === 0) return { text: 'data: {"n":0}\n\n', last: false };
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('parser bug');
    });
    const socket = await rawRequest(await serve(feed));
    const received = collect(socket);
    await once(socket, 'close');
    expect(received.text()).toContain('data: {"n":0}');
    // No chunked terminator: the client sees a cut connection, not a clean end.
    expect(received.text()).not.toMatch(/0\r\n\r\n$/);
    expect(state.cancelled).toBe(1);
  });
});

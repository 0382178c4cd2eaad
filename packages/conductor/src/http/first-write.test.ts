import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayResult } from '../contracts.js';
import { createApp } from './app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  openTestDatabase,
  TEST_TOKEN,
  testConfig,
} from './test-support.js';

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const CHAT = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

/** A stream whose first frame is at hand at once (as the relay's is) and whose rest comes later. */
function firstFrameThenWait(delayMs: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pulls = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      pulls += 1;
      if (pulls === 1) return controller.enqueue(encoder.encode('data: {"n":1}\n\n'));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      controller.enqueue(encoder.encode('data: {"n":2}\n\ndata: [DONE]\n\n'));
      controller.close();
    },
  });
}

/**
 * Serves the app as `llmgw gateway` does and records what each server socket hands to the kernel: one
 * entry per flush (`_write` or `_writev`, the points where a net.Socket writes), not per `write()` call.
 */
async function serveRecordingFlushes(respond: () => RelayResult) {
  const relay = createScriptedRelay(respond);
  const pool = createListPool([{ provider: 'openai', model: 'gpt-4o' }]);
  const app = createApp({
    config: testConfig(),
    relay,
    pool,
    database: fixture.database,
    log: captureLog().log,
  });
  const server: Server = createServer(getRequestListener(app.fetch));
  const flushes: string[] = [];
  server.on('connection', (socket: Socket) => {
    const recorder = socket as unknown as {
      _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error) => void): void;
      _writev(chunks: { chunk: Buffer | string }[], callback: (error?: Error) => void): void;
    };
    const write = recorder._write.bind(socket);
    const writev = recorder._writev.bind(socket);
    recorder._write = (chunk, encoding, callback) => {
      flushes.push(String(chunk));
      write(chunk, encoding, callback);
    };
    recorder._writev = (chunks, callback) => {
      flushes.push(chunks.map((entry) => String(entry.chunk)).join(''));
      writev(chunks, callback);
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    flushes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the first write of a stream', () => {
  it('carries the headers and the first event together, before the next event exists', async () => {
    const served = await serveRecordingFlushes(() => ({
      kind: 'stream',
      body: firstFrameThenWait(200),
      headers: {},
    }));
    try {
      const response = await fetch(`${served.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: CHAT,
      });
      expect(await response.text()).toContain('data: [DONE]');
      const [first] = served.flushes;
      expect(first).toMatch(/^HTTP\/1\.1 200 /);
      // Without coalescing, the header block leaves on its own and the event in a second write.
      expect(first).toContain('data: {"n":1}');
      expect(first).not.toContain('"n":2');
    } finally {
      await served.close();
    }
  });

  it('leaves a JSON answer in one write, as before', async () => {
    const served = await serveRecordingFlushes(() => ({
      kind: 'json',
      status: 200,
      body: { id: 'chatcmpl-1', object: 'chat.completion', choices: [] },
      headers: {},
    }));
    try {
      const response = await fetch(`${served.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: CHAT,
      });
      expect(await response.json()).toMatchObject({ id: 'chatcmpl-1' });
      expect(served.flushes).toHaveLength(1);
      expect(served.flushes[0]).toContain('"chatcmpl-1"');
    } finally {
      await served.close();
    }
  });
});

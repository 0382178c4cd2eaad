import { connect, type Socket } from 'node:net';
import type { AbortWatch } from '@llmgw/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayInput, RelayResult } from '../contracts.js';
import { type Conductor, startConductor } from './start-conductor.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
  sseStream,
  TEST_TOKEN,
  testConfig,
} from './test-support.js';

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const running: Conductor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((conductor) => conductor.stop()));
});

const CHAT = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
const HEADERS = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };

async function start(
  respond: (input: RelayInput) => RelayResult | Promise<RelayResult>,
  options: { host?: string; gateway?: Record<string, unknown> } = {},
) {
  const relay = createScriptedRelay(respond);
  const captured = captureLog();
  const conductor = await startConductor({
    config: testConfig({ gateway: options.gateway }),
    relay,
    pool: createListPool([]),
    database: fixture.database,
    log: captured.log,
    host: options.host ?? '127.0.0.1',
    port: 0,
  });
  running.push(conductor);
  return { conductor, relay, lines: captured.lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5_000) throw new Error('condition never became true');
    await sleep(10);
  }
}

describe('startConductor', () => {
  it('refuses to listen beyond loopback without auth tokens', async () => {
    const attempt = start(() => okJson({}), { host: '0.0.0.0', gateway: { auth_tokens: [] } });
    await expect(attempt).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without auth tokens.*LLMGW_AUTH_TOKENS/,
    );
  });

  it('listens beyond loopback when tokens are configured', async () => {
    const { conductor } = await start(() => okJson({}), { host: '0.0.0.0' });
    const response = await fetch(`http://127.0.0.1:${conductor.port}/healthz`);
    expect(response.status).toBe(200);
  });

  it('says where it listens, and warns that it serves loopback only without tokens', async () => {
    const { conductor, lines } = await start(() => okJson({}), { gateway: { auth_tokens: [] } });
    expect(conductor.port).toBeGreaterThan(0);
    expect(conductor.url).toBe(`http://127.0.0.1:${conductor.port}`);
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'conductor listening', url: conductor.url }),
    );
    const warning = lines().find((line) => line.level === 40);
    expect(String(warning?.msg)).toContain('loopback only');
  });

  it('lets a slow request in flight finish before stop() resolves, and accepts nothing new', async () => {
    const { conductor, relay } = await start(async () => {
      await sleep(400);
      return okJson({ id: 'slow' });
    });
    const pending = fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: CHAT,
    });
    await until(() => relay.inflight() === 1);

    const answer = pending.then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    const started = Date.now();
    await conductor.stop();
    // stop() waited for the relay (≈400 ms) instead of cutting the request off.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(relay.inflight()).toBe(0);
    expect(await answer).toEqual({ status: 200, body: { id: 'slow' } });
    await expect(fetch(`${conductor.url}/healthz`)).rejects.toThrow();
  });

  it('lets a stream in flight run to [DONE] before stop() resolves', async () => {
    const { conductor, relay } = await start(() => ({
      kind: 'stream',
      body: sseStream([{ n: 1 }, { n: 2 }, { n: 3 }], 100),
      headers: {},
    }));
    const response = await fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: CHAT,
    });
    const text = response.text();
    await until(() => relay.inflight() === 1);
    await conductor.stop();
    expect(relay.inflight()).toBe(0);
    expect(await text).toContain('data: [DONE]');
  });

  it('closes what is still running when drain_timeout passes', async () => {
    const { conductor, relay, lines } = await start(
      (input) =>
        new Promise<RelayResult>((resolve) =>
          input.signal.addEventListener('abort', () => resolve(okJson({}))),
        ),
      { gateway: { drain_timeout: '300ms' } },
    );
    const pending = fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: CHAT,
    });
    await until(() => relay.inflight() === 1);
    const started = Date.now();
    await conductor.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expect(pending).rejects.toThrow();
    expect(lines().some((line) => String(line.msg).startsWith('drain timeout'))).toBe(true);
  });

  it.each([
    ['with Content-Length', () => CHAT],
    ['with a chunked body (re-read by the body limit)', () => new Blob([CHAT]).stream()],
  ])('aborts the relay signal when the client disconnects (%s)', async (_name, body) => {
    let seen: AbortWatch | undefined;
    const { conductor } = await start(
      (input) =>
        new Promise<RelayResult>((resolve) => {
          seen = input.signal;
          input.signal.addEventListener('abort', () => resolve(okJson({})));
        }),
    );
    const client = new AbortController();
    const pending = fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: body(),
      signal: client.signal,
      duplex: 'half',
    } as RequestInit);
    await until(() => seen !== undefined);
    client.abort();
    await expect(pending).rejects.toThrow();
    await until(() => seen?.aborted === true);
  });
});

describe('a relayed answer on its own socket', () => {
  it('lets the relay keep its bookkeeping until after the write, and logs the request line after it', async () => {
    const { conductor, relay, lines } = await start(() =>
      okJson({ id: 'fast', note: 'ü' }, { 'x-llm-attempts': 'mock/m#1:ok' }),
    );
    const response = await fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...HEADERS, 'x-request-id': 'socket-1' },
      body: CHAT,
    });
    // Written to the socket by the route itself: the relay's headers, the id, and the length in bytes.
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-length')).toBe(
      String(Buffer.byteLength('{"id":"fast","note":"ü"}')),
    );
    expect(response.headers.get('x-llm-attempts')).toBe('mock/m#1:ok');
    expect(response.headers.get('x-request-id')).toBe('socket-1');
    expect(await response.json()).toEqual({ id: 'fast', note: 'ü' });
    expect(relay.inputs[0]?.answersOnSocket).toBe(true);
    await until(() => lines().some((line) => line.msg === 'request'));
    expect(lines().filter((line) => line.msg === 'request')).toEqual([
      expect.objectContaining({ requestId: 'socket-1', status: 200, path: '/v1/chat/completions' }),
    ]);
  });
});

describe('the request body over a real socket', () => {
  it('answers 413 in OpenAI shape to a chunked body over the limit, and still serves the next request', async () => {
    const { conductor, relay } = await start(() => okJson({ ok: true }), { gateway: { body_limit: '1kb' } });
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 8; index += 1) controller.enqueue(new Uint8Array(512).fill(97));
        controller.close();
      },
    });
    const refused = await fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: big,
      duplex: 'half',
    } as RequestInit);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ error: { code: 'request_too_large' } });
    const served = await fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: CHAT,
    });
    expect(served.status).toBe(200);
    expect(relay.inputs).toHaveLength(1);
  });

  /** A raw keep-alive socket to the conductor: the test decides when each byte leaves. */
  function rawClient(port: number): Promise<{ socket: Socket; received: () => string }> {
    return new Promise((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => text }));
      socket.setNoDelay(true);
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.once('error', reject);
    });
  }

  function head(bodyBytes: number): string {
    return [
      'POST /v1/chat/completions HTTP/1.1',
      'host: 127.0.0.1',
      `authorization: Bearer ${TEST_TOKEN}`,
      'content-type: application/json',
      `content-length: ${bodyBytes}`,
      '',
      '',
    ].join('\r\n');
  }

  it('reads a body that arrives in pieces after its headers, a character cut between two of them', async () => {
    const { conductor, relay } = await start(() => okJson({ ok: true }));
    const body = Buffer.from(
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'héllo wörld' }] }),
    );
    const cut = body.indexOf(Buffer.from('ö')) + 1;
    const { socket, received } = await rawClient(conductor.port);
    socket.write(head(body.length));
    await sleep(30);
    socket.write(body.subarray(0, cut));
    await sleep(30);
    socket.write(body.subarray(cut));
    await until(() => received().includes('{"ok":true}'));
    socket.destroy();
    expect(received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(relay.inputs).toHaveLength(1);
    expect(relay.inputs[0]?.body.messages).toEqual([{ role: 'user', content: 'héllo wörld' }]);
  });

  it('finishes a request whose client left before its body was whole, without calling the relay', async () => {
    const { conductor, relay, lines } = await start(() => okJson({ ok: true }));
    const { socket } = await rawClient(conductor.port);
    socket.write(`${head(CHAT.length)}${CHAT.slice(0, 10)}`);
    socket.destroy();
    // The request still ends (its access line is written): nothing waits for a body that cannot come.
    await until(() => lines().some((line) => line.msg === 'request'));
    expect(relay.inputs).toHaveLength(0);
  });

  it('aborts the relay signal when the client disconnects mid-request', async () => {
    let seen: AbortWatch | undefined;
    const { conductor } = await start(async (input) => {
      seen = input.signal;
      await new Promise<void>((resolve) => input.signal.addEventListener('abort', resolve, { once: true }));
      return okJson({ late: true });
    });
    const controller = new AbortController();
    const pending = fetch(`${conductor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: HEADERS,
      body: CHAT,
      signal: controller.signal,
    }).catch(() => undefined);
    await until(() => seen !== undefined);
    controller.abort();
    await pending;
    await until(() => seen?.aborted === true);
    expect(seen?.aborted).toBe(true);
  });
});

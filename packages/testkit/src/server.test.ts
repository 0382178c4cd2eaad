import { request } from 'node:http';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createForwardProxy } from './forward-proxy.js';
import { createTestUpstream, type TestUpstream } from './server.js';
import { chat, postJson, waitFor } from './test-support.js';

const started: TestUpstream[] = [];
async function start(options?: Parameters<typeof createTestUpstream>[0]): Promise<TestUpstream> {
  const upstream = await createTestUpstream(options);
  started.push(upstream);
  return upstream;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((upstream) => upstream.close()));
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('call log', () => {
  it('records each call with status and duration once it ends', async () => {
    const upstream = await start();
    upstream.setBehavior('k', { kind: 'ok', firstByteDelayMs: 50 });
    await (await postJson(`${upstream.url}/v1/chat/completions`, chat('x'), auth('k'))).text();
    await waitFor(() => upstream.inFlight() === 0);
    const [record] = upstream.callsFor('k');
    expect(record).toMatchObject({
      path: '/v1/chat/completions',
      method: 'POST',
      provider: 'openai',
      key: 'k',
      status: 200,
      aborted: false,
      viaProxy: false,
      behavior: 'ok',
    });
    expect(record?.durationMs).toBeGreaterThanOrEqual(40);
    upstream.reset();
    expect(upstream.calls()).toHaveLength(0);
    expect(upstream.callsFor('k')).toHaveLength(0);
  });

  it('answers 404 to a path no provider has', async () => {
    const upstream = await start();
    expect((await fetch(`${upstream.url}/nothing/here`)).status).toBe(404);
  });
});

describe('client abort', () => {
  it('marks the call aborted and closes the socket when the client aborts mid-stream', async () => {
    const upstream = await start();
    upstream.setBehavior('k', { kind: 'ok', chunkDelayMs: 100, reply: 'a b c d e f g h i j k l m n o p' });
    const controller = new AbortController();
    const answer = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth('k'),
      body: JSON.stringify(chat('x', { stream: true })),
      signal: controller.signal,
    });
    const reader = answer.body?.getReader();
    await reader?.read();
    expect(upstream.connections()).toBe(1);
    controller.abort();
    await waitFor(() => upstream.callsFor('k')[0]?.aborted === true, 2_000);
    await waitFor(() => upstream.connections() === 0, 2_000);
    expect(upstream.inFlight()).toBe(0);
    expect(upstream.callsFor('k')[0]?.status).toBe(200);
  });

  it('marks a hanging call aborted when the client gives up', async () => {
    const upstream = await start();
    upstream.setBehavior('k', { kind: 'hang' });
    const request = postJson(`${upstream.url}/v1/chat/completions`, chat('x'), auth('k'));
    const controller = new AbortController();
    const answer = fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth('k'),
      body: JSON.stringify(chat('x')),
      signal: controller.signal,
    });
    await waitFor(() => upstream.callsFor('k').length === 2);
    controller.abort();
    await expect(answer).rejects.toThrow();
    await waitFor(() => upstream.callsFor('k').filter((record) => record.aborted).length === 1);
    expect(upstream.inFlight()).toBe(1);
    await upstream.close();
    await expect(request).rejects.toThrow();
  });
});

describe('close', () => {
  it('resolves promptly with a hanging request in flight', async () => {
    const upstream = await start();
    upstream.setBehavior('k', { kind: 'hang' });
    const hanging = postJson(`${upstream.url}/v1/chat/completions`, chat('x'), auth('k'));
    await waitFor(() => upstream.inFlight() === 1);
    const closing = Date.now();
    await upstream.close();
    expect(Date.now() - closing).toBeLessThan(500);
    await expect(hanging).rejects.toThrow();
  });

  it('resolves promptly with a slow stream in flight', async () => {
    const upstream = await start();
    upstream.setBehavior('k', { kind: 'ok', firstByteDelayMs: 10_000 });
    const slow = postJson(`${upstream.url}/v1/chat/completions`, chat('x', { stream: true }), auth('k'));
    await waitFor(() => upstream.inFlight() === 1);
    const closing = Date.now();
    await upstream.close();
    expect(Date.now() - closing).toBeLessThan(500);
    await expect(slow).rejects.toThrow();
  });
});

describe('through a forward proxy', () => {
  it('marks calls that came through a proxy of this process and the proxy counts them', async () => {
    const upstream = await start();
    const proxy = await createForwardProxy();
    const dispatcher = new ProxyAgent(proxy.url);
    try {
      const answer = await undiciFetch(`${upstream.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth('k'), 'content-type': 'application/json' },
        body: JSON.stringify(chat('via proxy')),
        dispatcher,
      });
      expect(answer.status).toBe(200);
      await postJson(`${upstream.url}/v1/chat/completions`, chat('direct'), auth('k'));
      expect(upstream.callsFor('k').map((record) => record.viaProxy)).toEqual([true, false]);
      expect(proxy.connects()).toBe(1);
    } finally {
      await dispatcher.close();
      await proxy.close();
    }
  });

  it('marks absolute-URI requests relayed by a proxy too', async () => {
    const upstream = await start();
    const proxy = await createForwardProxy();
    const proxyUrl = new URL(proxy.url);
    try {
      for (let index = 0; index < 2; index++) {
        const status = await new Promise<number>((resolve, reject) => {
          const outgoing = request(
            {
              host: proxyUrl.hostname,
              port: proxyUrl.port,
              method: 'POST',
              path: `${upstream.url}/v1/chat/completions`,
              headers: { ...auth('k'), 'content-type': 'application/json' },
            },
            (answer) => {
              answer.resume();
              answer.on('end', () => resolve(answer.statusCode ?? 0));
            },
          );
          outgoing.on('error', reject);
          outgoing.end(JSON.stringify(chat('absolute')));
        });
        expect(status).toBe(200);
      }
      expect(upstream.callsFor('k').map((record) => record.viaProxy)).toEqual([true, true]);
      expect(proxy.requests()).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});

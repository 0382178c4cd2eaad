import { createForwardProxy } from '@llmgw/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { createHttpClients, type HttpClients } from './http-clients.js';
import {
  closedPort,
  rejectionOf,
  startUpstream,
  TEST_CA_FILE,
  TEST_SETTINGS,
  type TestUpstream,
} from './test-servers.js';

let clients: HttpClients;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await clients.close();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function upstreamSaying(body: string, options: { tls?: boolean } = {}): Promise<TestUpstream> {
  const upstream = await startUpstream((_incoming, outgoing) => {
    outgoing.setHeader('x-ratelimit-remaining-requests', '41');
    outgoing.setHeader('x-multi', ['a', 'b']);
    outgoing.end(body);
  }, options);
  cleanups.push(upstream.close);
  return upstream;
}

describe('dispatchers', () => {
  test('are created once per distinct route and CA file, and all closed by close()', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const proxyA = { kind: 'proxy', url: 'http://127.0.0.1:3128' } as const;
    const proxyB = { kind: 'proxy', url: 'http://user:pass@127.0.0.1:3128' } as const;
    const direct = clients.dispatcherFor({ kind: 'direct' });
    expect(clients.dispatcherFor({ kind: 'direct' })).toBe(direct);
    expect(clients.dispatcherFor(proxyA)).toBe(clients.dispatcherFor({ ...proxyA }));
    expect(clients.dispatcherFor(proxyB)).not.toBe(clients.dispatcherFor(proxyA));
    expect(clients.dispatcherFor({ kind: 'direct' }, TEST_CA_FILE)).not.toBe(direct);
    expect(clients.stats()).toEqual({ dispatchers: 4, connected: 0, running: 0, pending: 0 });

    await clients.close();
    await clients.close();
    expect(clients.stats().dispatchers).toBe(0);
    const afterClose = await rejectionOf(() =>
      direct.request({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET' }),
    );
    expect(afterClose).toMatchObject({ code: 'UND_ERR_DESTROYED' });
    expect(() => clients.dispatcherFor({ kind: 'direct' })).toThrow(/closed/);
  });

  test('close() closes the kept-alive sockets of every route', async () => {
    const upstream = await upstreamSaying('ok');
    const proxy = await createForwardProxy();
    cleanups.push(proxy.close);
    clients = createHttpClients(TEST_SETTINGS);
    for (const route of [{ kind: 'direct' } as const, { kind: 'proxy', url: proxy.url } as const]) {
      const response = await clients.send({ method: 'GET', url: upstream.url, headers: {} }, { route });
      await response.text();
    }
    expect(upstream.openSockets()).toBe(2);
    expect(clients.stats()).toEqual({ dispatchers: 2, connected: 2, running: 0, pending: 0 });
    await clients.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.openSockets()).toBe(0);
  });

  test('close() lets a call in flight finish', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      setTimeout(() => outgoing.end('finished'), 100);
    });
    cleanups.push(upstream.close);
    clients = createHttpClients(TEST_SETTINGS);
    const pending = clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'direct' } },
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = clients.close();
    const response = await pending;
    expect(await response.text()).toBe('finished');
    await closed;
  });

  // undici frees a socket for the pool one tick after the body ends (its 'drain' is a nextTick queued
  // behind the body's 'end'), so a call sent in the very same tick opens a second socket. Yielding one
  // macrotask shows the reuse itself; the next test bounds the back-to-back case.
  test('sequential calls reuse one kept-alive socket, also through a proxy', async () => {
    const upstream = await upstreamSaying('ok');
    const proxy = await createForwardProxy();
    cleanups.push(proxy.close);
    clients = createHttpClients(TEST_SETTINGS);
    for (const route of [{ kind: 'direct' } as const, { kind: 'proxy', url: proxy.url } as const]) {
      for (let call = 0; call < 3; call++) {
        const response = await clients.send({ method: 'GET', url: upstream.url, headers: {} }, { route });
        expect(await response.text()).toBe('ok');
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    expect(upstream.connections()).toBe(2);
    expect(proxy.connects()).toBe(1);
  });

  test('back-to-back calls in the same tick stay on at most two sockets', async () => {
    const upstream = await upstreamSaying('ok');
    clients = createHttpClients(TEST_SETTINGS);
    for (let call = 0; call < 10; call++) {
      const response = await clients.send(
        { method: 'GET', url: upstream.url, headers: {} },
        { route: { kind: 'direct' } },
      );
      await response.text();
    }
    expect(upstream.connections()).toBeLessThanOrEqual(2);
  });

  test('never opens more sockets per origin than connectionsPerOrigin', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      setTimeout(() => outgoing.end('ok'), 50);
    });
    cleanups.push(upstream.close);
    clients = createHttpClients({ ...TEST_SETTINGS, connectionsPerOrigin: 2 });
    const calls = Array.from({ length: 6 }, () =>
      clients
        .send({ method: 'GET', url: upstream.url, headers: {} }, { route: { kind: 'direct' } })
        .then((r) => r.text()),
    );
    expect(await Promise.all(calls)).toEqual(Array(6).fill('ok'));
    expect(upstream.connections()).toBe(2);
  });
});

describe('send', () => {
  test('returns status, lower-cased headers with repeats joined, and the body', async () => {
    const upstream = await upstreamSaying('{"id":"chatcmpl-1"}');
    clients = createHttpClients(TEST_SETTINGS);
    const response = await clients.send(
      {
        method: 'POST',
        url: `${upstream.url}/v1/chat/completions`,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
      { route: { kind: 'direct' } },
    );
    expect(response.status).toBe(200);
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('41');
    expect(response.headers['x-multi']).toBe('a, b');
    expect(await response.json()).toEqual({ id: 'chatcmpl-1' });
  });

  test('an HTTP error status resolves; judging it is the adapter’s job', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      outgoing.writeHead(429, { 'retry-after': '7' });
      outgoing.end('{"error":{"message":"slow down"}}');
    });
    cleanups.push(upstream.close);
    clients = createHttpClients(TEST_SETTINGS);
    const response = await clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'direct' } },
    );
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    await response.dump();
  });

  test('a refused upstream is a network_error', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const error = await rejectionOf(async () =>
      clients.send(
        { method: 'GET', url: `http://127.0.0.1:${await closedPort()}/`, headers: {} },
        { route: { kind: 'direct' } },
      ),
    );
    expect(error).toMatchObject({
      transport: 'network_error',
      reason: 'network_error',
      code: 'ECONNREFUSED',
    });
  });

  test('never puts the URL query in a message (Gemini sends its key there)', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const port = await closedPort();
    const error = await rejectionOf(() =>
      clients.send(
        {
          method: 'POST',
          url: `http://127.0.0.1:${port}/v1beta/models/x:generateContent?key=AIzaSECRET`,
          headers: {},
        },
        { route: { kind: 'direct' } },
      ),
    );
    expect(String(error)).toContain(`POST 127.0.0.1:${port} via direct`);
    expect(String(error)).not.toContain('AIzaSECRET');
  });

  test('an upstream with an unknown CA is a network_error; its CA file makes it trusted', async () => {
    const upstream = await upstreamSaying('trusted', { tls: true });
    clients = createHttpClients(TEST_SETTINGS);
    const call = { method: 'GET', url: upstream.url, headers: {} } as const;
    const error = await rejectionOf(() => clients.send(call, { route: { kind: 'direct' } }));
    expect(error).toMatchObject({ transport: 'network_error', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const response = await clients.send(call, { route: { kind: 'direct' }, caFile: TEST_CA_FILE });
    expect(await response.text()).toBe('trusted');
  });

  test('an unreadable CA file is reported with its path, not as a network failure', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const error = await rejectionOf(async () =>
      clients.send(
        { method: 'GET', url: 'https://localhost/', headers: {} },
        { route: { kind: 'direct' }, caFile: '/nonexistent/ca.pem' },
      ),
    );
    expect(String(error)).toContain('cannot read CA file /nonexistent/ca.pem');
    expect(error).toMatchObject({ reason: undefined });
  });
});

import { afterEach, describe, expect, test } from 'vitest';
import { createHttpClients, type HttpClients } from './http-clients.js';
import { rejectionOf, startSilentServer, startUpstream, TEST_SETTINGS } from './test-servers.js';

const cleanups: Array<() => Promise<void>> = [];
let clients: HttpClients;

afterEach(async () => {
  await clients.close();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

// undici runs connect/headers/body timers on a 1 s tick, so a 200 ms timeout fires after about 1 s.
describe('timeouts', () => {
  // 10.255.255.1 is answered by this sandbox's network, so a blackhole address proves nothing here. A
  // server that accepts TCP but never speaks TLS stalls the connect phase just as reliably.
  test('a TLS handshake that never completes is a connect timeout', async () => {
    const silent = await startSilentServer();
    cleanups.push(silent.close);
    clients = createHttpClients({ ...TEST_SETTINGS, connectTimeoutMs: 200 });
    const started = Date.now();
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'GET', url: `https://127.0.0.1:${silent.port}/`, headers: {} },
        { route: { kind: 'direct' } },
      ),
    );
    expect(error).toMatchObject({ transport: 'timeout', reason: 'timeout', code: 'UND_ERR_CONNECT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('headers that come too late are a first-byte timeout', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      setTimeout(() => outgoing.end('late'), 2_000).unref();
    });
    cleanups.push(upstream.close);
    clients = createHttpClients({ ...TEST_SETTINGS, firstByteTimeoutMs: 200 });
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'POST', url: upstream.url, headers: {}, body: '{}' },
        { route: { kind: 'direct' } },
      ),
    );
    expect(error).toMatchObject({ transport: 'timeout', code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  test('a per-call first-byte timeout overrides the setting', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      setTimeout(() => outgoing.end('late'), 2_000).unref();
    });
    cleanups.push(upstream.close);
    clients = createHttpClients(TEST_SETTINGS);
    const started = Date.now();
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'GET', url: upstream.url, headers: {} },
        { route: { kind: 'direct' }, timeouts: { firstByteTimeoutMs: 150 } },
      ),
    );
    expect(error).toMatchObject({ transport: 'timeout', code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test('a body that stops mid-way is an idle timeout, raised while reading', async () => {
    const upstream = await startUpstream((_incoming, outgoing) => {
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      outgoing.write('data: first\n\n');
      // …and never another byte.
    });
    cleanups.push(upstream.close);
    clients = createHttpClients({ ...TEST_SETTINGS, idleTimeoutMs: 200 });
    const response = await clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'direct' } },
    );
    const chunks: string[] = [];
    const error = await rejectionOf(async () => {
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk).toString());
    });
    expect(chunks.join('')).toBe('data: first\n\n');
    expect(error).toMatchObject({ transport: 'timeout', code: 'UND_ERR_BODY_TIMEOUT' });
  });
});

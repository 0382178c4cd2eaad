import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { createForwardProxy, type ForwardProxy, isFromForwardProxy } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createHttpClients, type HttpClients } from './http-clients.js';
import {
  closedPort,
  rejectionOf,
  startSilentServer,
  startUpstream,
  TEST_CA_FILE,
  TEST_SETTINGS,
  type TestUpstream,
} from './test-servers.js';
import { isHttpTransportError } from './transport-error.js';

const USER = 'proxyuser';
const PASS = 's3cr3t-proxy-pass';

describe('calls through a forward proxy', () => {
  let upstream: TestUpstream;
  let tlsUpstream: TestUpstream;
  let proxy: ForwardProxy;
  let authProxy: ForwardProxy;
  let clients: HttpClients;
  const seenViaProxy: boolean[] = [];

  beforeAll(async () => {
    const answer = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
      seenViaProxy.push(isFromForwardProxy(incoming.socket.remotePort));
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      outgoing.end('{"ok":true}');
    };
    upstream = await startUpstream(answer);
    tlsUpstream = await startUpstream(answer, { tls: true });
    proxy = await createForwardProxy();
    authProxy = await createForwardProxy({ requireAuth: { user: USER, pass: PASS } });
  });
  afterAll(async () => {
    await Promise.all([upstream.close(), tlsUpstream.close(), proxy.close(), authProxy.close()]);
  });
  afterEach(async () => {
    await clients.close();
    seenViaProxy.length = 0;
  });

  test('reaches the upstream through the proxy it is routed to', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    proxy.reset();
    const response = await clients.send(
      { method: 'GET', url: `${upstream.url}/v1/models`, headers: {} },
      { route: { kind: 'proxy', url: proxy.url } },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(proxy.connects()).toBe(1);
    expect(seenViaProxy).toEqual([true]);
  });

  test('accepts a bare host:port proxy as http', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    proxy.reset();
    const response = await clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'proxy', url: proxy.url.replace('http://', '') } },
    );
    await response.dump();
    expect(response.status).toBe(200);
    expect(proxy.connects()).toBe(1);
  });

  test('authenticates with the credentials in the proxy URL and tunnels TLS with a custom CA', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    authProxy.reset();
    const url = authProxy.url.replace('http://', `http://${USER}:${PASS}@`);
    const response = await clients.send(
      { method: 'GET', url: tlsUpstream.url, headers: {} },
      { route: { kind: 'proxy', url }, caFile: TEST_CA_FILE },
    );
    expect(await response.text()).toBe('{"ok":true}');
    expect(authProxy.connects()).toBe(1);
    expect(seenViaProxy).toEqual([true]);
  });

  test('a dead proxy is a proxy_error', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const deadProxy = `http://127.0.0.1:${await closedPort()}`;
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'GET', url: upstream.url, headers: {} },
        { route: { kind: 'proxy', url: deadProxy } },
      ),
    );
    expect(isHttpTransportError(error)).toBe(true);
    expect(error).toMatchObject({
      transport: 'proxy_error',
      reason: 'proxy_error',
      code: 'PROXY_ECONNREFUSED',
    });
  });

  test('407 from the proxy is a proxy_error and never shows the credentials', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const url = authProxy.url.replace('http://', `http://${USER}:wrong-${PASS}@`);
    const error = await rejectionOf(() =>
      clients.send({ method: 'GET', url: upstream.url, headers: {} }, { route: { kind: 'proxy', url } }),
    );
    expect(error).toMatchObject({ transport: 'proxy_error', code: 'PROXY_STATUS_407' });
    const shown = `${String(error)}\n${inspect(error, { depth: 10 })}`;
    expect(shown).toContain('http://***@127.0.0.1');
    expect(shown).not.toContain(PASS);
    expect(shown).not.toContain(USER);
  });

  test('a dead upstream behind a working proxy is a network_error, not the proxy', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const deadUpstream = `http://127.0.0.1:${await closedPort()}/`;
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'GET', url: deadUpstream, headers: {} },
        { route: { kind: 'proxy', url: proxy.url } },
      ),
    );
    // The testkit proxy answers CONNECT with 502 when it cannot reach the target.
    expect(error).toMatchObject({ transport: 'network_error', code: 'PROXY_STATUS_502' });
  });

  test('a proxy that never answers CONNECT is a timeout, not yet a verdict on the proxy', async () => {
    const silent = await startSilentServer();
    clients = createHttpClients({ ...TEST_SETTINGS, connectTimeoutMs: 200 });
    try {
      const error = await rejectionOf(() =>
        clients.send(
          { method: 'GET', url: upstream.url, headers: {} },
          { route: { kind: 'proxy', url: `127.0.0.1:${silent.port}` } },
        ),
      );
      expect(error).toMatchObject({ transport: 'timeout', code: 'PROXY_TUNNEL_TIMEOUT' });
    } finally {
      await silent.close();
    }
  });

  test('an unusable proxy URL is a proxy_error that does not echo the URL', async () => {
    clients = createHttpClients(TEST_SETTINGS);
    const error = await rejectionOf(() =>
      clients.send(
        { method: 'GET', url: upstream.url, headers: {} },
        { route: { kind: 'proxy', url: `socks5://${USER}:${PASS}@127.0.0.1:1080` } },
      ),
    );
    expect(error).toMatchObject({ transport: 'proxy_error', code: 'PROXY_INVALID_URL' });
    expect(String(error)).not.toContain(PASS);
  });
});

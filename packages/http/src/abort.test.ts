import { once } from 'node:events';
import type { Socket } from 'node:net';
import { createForwardProxy } from '@llmgw/testkit';
import { afterEach, expect, test } from 'vitest';
import { createHttpClients, type HttpClients } from './http-clients.js';
import type { Route } from './route.js';
import { rejectionOf, startUpstream, TEST_SETTINGS, type TestUpstream } from './test-servers.js';
import { isClientAbort } from './transport-error.js';

let clients: HttpClients;
let upstream: TestUpstream;

afterEach(async () => {
  await clients.close();
  await upstream.close();
});

async function abortMidStream(route: Route): Promise<void> {
  let serverSocket: Socket | undefined;
  upstream = await startUpstream((incoming, outgoing) => {
    serverSocket = incoming.socket;
    outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
    outgoing.write('data: one\n\n');
    const ticker = setInterval(() => outgoing.write('data: more\n\n'), 50);
    outgoing.once('close', () => clearInterval(ticker));
  });
  clients = createHttpClients(TEST_SETTINGS);
  const controller = new AbortController();
  const response = await clients.send(
    { method: 'POST', url: upstream.url, headers: {}, body: '{"stream":true}' },
    { route, signal: controller.signal },
  );
  const error = await rejectionOf(async () => {
    for await (const _chunk of response.body) controller.abort();
  });
  expect(isClientAbort(error)).toBe(true);
  expect(error).toMatchObject({ aborted: true, reason: undefined });
  if (serverSocket === undefined) throw new Error('upstream never saw the call');
  if (!serverSocket.destroyed) {
    await Promise.race([
      once(serverSocket, 'close'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('upstream socket still open after 2 s')), 2_000),
      ),
    ]);
  }
  expect(serverSocket.destroyed).toBe(true);
}

test('aborting mid-stream closes the upstream socket and is a client abort, not a failure', async () => {
  await abortMidStream({ kind: 'direct' });
});

test('aborting mid-stream through a proxy closes the tunnel and the upstream socket behind it', async () => {
  const proxy = await createForwardProxy();
  try {
    await abortMidStream({ kind: 'proxy', url: proxy.url });
    expect(proxy.connects()).toBe(1);
  } finally {
    await proxy.close();
  }
});

test('aborting while waiting for headers is a client abort, even with a reason that has no code', async () => {
  upstream = await startUpstream((_incoming, outgoing) => {
    setTimeout(() => outgoing.end('late'), 2_000).unref();
  });
  clients = createHttpClients(TEST_SETTINGS);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('client went away')), 50);
  const error = await rejectionOf(() =>
    clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'direct' }, signal: controller.signal },
    ),
  );
  expect(isClientAbort(error)).toBe(true);
});

test('an already aborted signal never reaches the upstream', async () => {
  upstream = await startUpstream((_incoming, outgoing) => outgoing.end('ok'));
  clients = createHttpClients(TEST_SETTINGS);
  const error = await rejectionOf(() =>
    clients.send(
      { method: 'GET', url: upstream.url, headers: {} },
      { route: { kind: 'direct' }, signal: AbortSignal.abort() },
    ),
  );
  expect(isClientAbort(error)).toBe(true);
  expect(upstream.connections()).toBe(0);
});

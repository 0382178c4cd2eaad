import { createServer, request, type Server } from 'node:http';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createForwardProxy, type ForwardProxy } from './forward-proxy.js';
import { listen } from './listen.js';

let target: Server;
let targetUrl: string;
const proxies: ForwardProxy[] = [];

beforeAll(async () => {
  target = createServer((incoming, outgoing) => {
    outgoing.writeHead(200, { 'content-type': 'text/plain' });
    outgoing.end(`hello ${incoming.url}`);
  });
  targetUrl = `http://${await listen(target, 0, '127.0.0.1')}`;
});

afterAll(async () => {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

async function startProxy(options?: Parameters<typeof createForwardProxy>[0]): Promise<ForwardProxy> {
  const proxy = await createForwardProxy(options);
  proxies.push(proxy);
  return proxy;
}

/** Plain node:http speaks absolute-URI proxying directly; undici always tunnels with CONNECT. */
function getViaProxy(
  proxy: ForwardProxy,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const proxyUrl = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: proxyUrl.hostname, port: proxyUrl.port, path: url, method: 'GET', headers },
      (answer) => {
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', (piece: string) => {
          body += piece;
        });
        answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('createForwardProxy', () => {
  it('relays an absolute-URI request and counts it', async () => {
    const proxy = await startProxy();
    const answer = await getViaProxy(proxy, `${targetUrl}/abs?x=1`);
    expect(answer).toEqual({ status: 200, body: 'hello /abs?x=1' });
    expect(proxy.requests()).toBe(1);
    expect(proxy.connects()).toBe(0);
  });

  it('tunnels through CONNECT and counts the tunnel', async () => {
    const proxy = await startProxy();
    const dispatcher = new ProxyAgent(proxy.url);
    const answer = await undiciFetch(`${targetUrl}/tunnel`, { dispatcher });
    expect(await answer.text()).toBe('hello /tunnel');
    expect(proxy.connects()).toBe(1);
    await dispatcher.close();
  });

  it('answers 407 when credentials are required and missing', async () => {
    const proxy = await startProxy({ requireAuth: { user: 'u', pass: 'p' } });
    const dispatcher = new ProxyAgent(proxy.url);
    await expect(undiciFetch(`${targetUrl}/x`, { dispatcher })).rejects.toThrow();
    expect((await getViaProxy(proxy, `${targetUrl}/plain`)).status).toBe(407);
    expect(proxy.rejected()).toBe(2);
    expect(proxy.connects()).toBe(0);
    expect(proxy.requests()).toBe(0);
    await dispatcher.close();
  });

  it('lets the right credentials through', async () => {
    const proxy = await startProxy({ requireAuth: { user: 'u', pass: 'p' } });
    const withAuth = new URL(proxy.url);
    withAuth.username = 'u';
    withAuth.password = 'p';
    const dispatcher = new ProxyAgent(withAuth.toString());
    const answer = await undiciFetch(`${targetUrl}/ok`, { dispatcher });
    expect(answer.status).toBe(200);
    expect(proxy.connects()).toBe(1);
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    expect(await getViaProxy(proxy, `${targetUrl}/abs`, { 'proxy-authorization': basic })).toEqual({
      status: 200,
      body: 'hello /abs',
    });
    expect(proxy.requests()).toBe(1);
    await dispatcher.close();
  });
});

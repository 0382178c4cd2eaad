import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listen } from './listen.js';

export interface ForwardProxyOptions {
  port?: number;
  host?: string;
  /** When set, requests without a matching `Proxy-Authorization: Basic …` get 407. */
  requireAuth?: { user: string; pass: string };
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`; embed credentials yourself when `requireAuth` is set. */
  url: string;
  /** Absolute-URI requests forwarded (plain HTTP proxying). */
  requests(): number;
  /** CONNECT tunnels opened. */
  connects(): number;
  /** Requests and CONNECTs refused with 407. */
  rejected(): number;
  reset(): void;
  /** Closes the listener, every client socket and every tunnel. */
  close(): Promise<void>;
}

/**
 * Local ports of sockets this process's proxies opened towards an upstream. The test upstream looks up
 * the peer port of each incoming connection here to mark calls `viaProxy` — a header cannot do it,
 * because undici tunnels even plain-HTTP targets through CONNECT, where the proxy never sees a header.
 */
const proxiedPorts = new Set<number>();

/** True when the connection from `remotePort` was opened by a forward proxy of this process. */
export function isFromForwardProxy(remotePort: number | undefined): boolean {
  return remotePort !== undefined && proxiedPorts.has(remotePort);
}

const trackedSockets = new WeakSet<Socket>();

function trackOutbound(socket: Socket): void {
  // Keep-alive sockets are handed out again for every relayed request; register each only once.
  if (trackedSockets.has(socket)) return;
  trackedSockets.add(socket);
  const remember = (): void => {
    const port = socket.localPort;
    if (port === undefined) return;
    proxiedPorts.add(port);
    socket.once('close', () => proxiedPorts.delete(port));
  };
  if (socket.connecting) socket.once('connect', remember);
  else remember();
}

function isAuthorized(header: string | undefined, expected: string | undefined): boolean {
  if (expected === undefined) return true;
  return header === expected;
}

/**
 * An HTTP forward proxy for tests: absolute-URI requests are relayed, CONNECT opens a raw tunnel. It
 * counts what passes so tests can prove a call really went through the proxy it was pinned to.
 */
export async function createForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const { port = 0, host = '127.0.0.1', requireAuth } = options;
  const expectedAuth = requireAuth
    ? `Basic ${Buffer.from(`${requireAuth.user}:${requireAuth.pass}`).toString('base64')}`
    : undefined;
  const counters = { requests: 0, connects: 0, rejected: 0 };
  const sockets = new Set<Duplex>();
  const agent = new Agent({ keepAlive: true });

  function relayRequest(incoming: IncomingMessage, outgoing: ServerResponse): void {
    if (!isAuthorized(incoming.headers['proxy-authorization'], expectedAuth)) {
      counters.rejected++;
      outgoing.writeHead(407, { 'proxy-authenticate': 'Basic realm="testkit"', 'content-length': '0' });
      outgoing.end();
      return;
    }
    let target: URL;
    try {
      target = new URL(incoming.url ?? '');
    } catch {
      outgoing.writeHead(400, { 'content-type': 'text/plain' });
      outgoing.end('forward proxy expects an absolute URI');
      return;
    }
    counters.requests++;
    const headers = { ...incoming.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port || 80,
        method: incoming.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('socket', trackOutbound);
    upstream.on('error', () => {
      if (outgoing.headersSent) outgoing.destroy();
      else {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end('upstream unreachable');
      }
    });
    // A client that gives up must not leave the upstream call running: that is what abort tests check.
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    incoming.pipe(upstream);
  }

  function openTunnel(incoming: IncomingMessage, client: Duplex, head: Buffer): void {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!isAuthorized(incoming.headers['proxy-authorization'], expectedAuth)) {
      counters.rejected++;
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="testkit"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [targetHost, targetPort] = splitHostPort(incoming.url ?? '');
    const upstream = connect({ host: targetHost, port: targetPort });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    trackOutbound(upstream);
    upstream.once('connect', () => {
      counters.connects++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (upstream.connecting || upstream.bytesRead === 0) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      } else client.destroy();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }

  const server = createServer(relayRequest);
  server.on('connect', openTunnel);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const address = await listen(server, port, host);

  return {
    url: `http://${address}`,
    requests: () => counters.requests,
    connects: () => counters.connects,
    rejected: () => counters.rejected,
    reset: () => {
      counters.requests = 0;
      counters.connects = 0;
      counters.rejected = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        agent.destroy();
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

function splitHostPort(authority: string): [string, number] {
  const colon = authority.lastIndexOf(':');
  if (colon === -1) return [authority, 443];
  const host = authority.slice(0, colon).replace(/^\[|\]$/g, '');
  return [host, Number(authority.slice(colon + 1)) || 443];
}

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';

/** Test-only helpers: real upstreams on loopback ports, counting what the client did to them. */

const fixture = (name: string): string => new URL(`./__fixtures__/${name}`, import.meta.url).pathname;

/** PEM of the CA that signed `__fixtures__/localhost.pem` (its key was thrown away). */
export const TEST_CA_FILE = fixture('test-ca.pem');

export interface TestUpstream {
  /** `http://127.0.0.1:<port>` (or `https://localhost:<port>` with `tls`). */
  url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Connections still open. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startUpstream(
  handler: RequestListener,
  options: { tls?: boolean } = {},
): Promise<TestUpstream> {
  const server: Server = options.tls
    ? createHttpsServer(
        { key: readFileSync(fixture('localhost.key')), cert: readFileSync(fixture('localhost.pem')) },
        handler,
      )
    : createHttpServer(handler);
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    connections: () => connections,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and then says nothing: a TLS client waits for a handshake that never comes. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
  });
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound once to learn a free number, then released. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('not bound to a TCP port'));
      else resolve(address.port);
    });
  });
}

export const TEST_SETTINGS = {
  connectTimeoutMs: 2_000,
  firstByteTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  connectionsPerOrigin: 4,
  keepAliveTimeoutMs: 10_000,
};

/** Runs `action` and returns what it rejected with; fails the test when it resolves. */
export async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

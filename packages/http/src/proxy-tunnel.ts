import type { Socket } from 'node:net';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { PROXY_CODE_PREFIX, PROXY_STATUS_PREFIX, PROXY_TUNNEL_TIMEOUT } from './proxy-codes.js';
import type { ProxyEndpoint } from './route.js';

export interface TunnelOptions {
  connectTimeoutMs: number;
  /** Trust for the upstream's TLS inside the tunnel; the proxy's own TLS uses the system roots. */
  ca: readonly string[] | undefined;
}

export interface ProxyTunnel {
  connect: buildConnector.connector;
  close(): Promise<void>;
}

function tunnelError(code: string, message: string, cause?: unknown): Error & { code: string } {
  return Object.assign(new Error(message, { cause }), { code });
}

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * A connector for an undici `Agent` that opens every upstream connection as a CONNECT tunnel through
 * one proxy (HTTP targets too, like `ProxyAgent`), then does the upstream TLS handshake over it.
 */
export function createProxyTunnel(proxy: ProxyEndpoint, options: TunnelOptions): ProxyTunnel {
  // A pool, not a single client: each CONNECT takes its socket away, and one client would serialise them.
  const proxyPool = new Pool(proxy.origin, {
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.connectTimeoutMs,
  });
  const upstreamTls = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.ca ? { ca: [...options.ca] } : {}),
  });

  async function openTunnel(target: buildConnector.Options): Promise<Socket> {
    const authority = tunnelAuthority(target);
    const headers: Record<string, string> = { host: authority };
    if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
    let answer: Dispatcher.ConnectData;
    try {
      answer = await proxyPool.connect({ path: authority, headers });
    } catch (error) {
      const code = codeOf(error);
      if (code === 'UND_ERR_HEADERS_TIMEOUT') {
        throw tunnelError(
          PROXY_TUNNEL_TIMEOUT,
          `proxy ${proxy.masked} did not answer CONNECT in time`,
          error,
        );
      }
      throw tunnelError(`${PROXY_CODE_PREFIX}${code}`, `proxy ${proxy.masked} unreachable (${code})`, error);
    }
    if (answer.statusCode < 200 || answer.statusCode > 299) {
      answer.socket.on('error', noop).destroy();
      throw tunnelError(
        `${PROXY_STATUS_PREFIX}${answer.statusCode}`,
        `proxy ${proxy.masked} answered CONNECT with ${answer.statusCode}`,
      );
    }
    // undici types the upgraded stream as a Duplex; it is the proxy's net.Socket (or TLSSocket).
    return answer.socket as Socket;
  }

  function connect(target: buildConnector.Options, callback: buildConnector.Callback): void {
    openTunnel(target).then(
      (socket) => {
        if (target.protocol !== 'https:') callback(null, socket);
        else upstreamTls({ ...target, httpSocket: socket }, callback);
      },
      (error: Error) => callback(error, null),
    );
  }

  return { connect, close: () => proxyPool.close() };
}

/** `host:port` for the CONNECT line; undici leaves the port empty when it is the scheme's default. */
function tunnelAuthority(target: buildConnector.Options): string {
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return `${host}:${port}`;
}

function noop(): void {}

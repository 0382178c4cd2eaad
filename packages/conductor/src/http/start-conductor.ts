import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { LlmgwError } from '@llmgw/core';
import { createApp } from './app.js';
import type { AppDeps } from './app-deps.js';
import { isLoopbackHost, listenUrl } from './loopback.js';

export interface ConductorOptions extends AppDeps {
  host: string;
  /** 0 = any free port (tests). */
  port: number;
}

export interface Conductor {
  url: string;
  port: number;
  /** Stops accepting, lets requests and streams in flight finish (up to drain_timeout), then closes. */
  stop(): Promise<void>;
}

const DRAIN_POLL_MS = 50;

/**
 * Serves the conductor's app. Without auth tokens it binds loopback only and refuses anything wider,
 * so an open gateway is never one typo away from the internet with the operator's keys behind it.
 */
export async function startConductor(options: ConductorOptions): Promise<Conductor> {
  const { host, port, log, config, relay } = options;
  const open = config.gateway.auth_tokens.length === 0;
  if (open && !isLoopbackHost(host)) {
    throw new LlmgwError(
      `refusing to listen on ${host} without auth tokens: anyone who can reach it could spend your keys. ` +
        'Set gateway.auth_tokens (or LLMGW_AUTH_TOKENS=token1,token2), or bind to 127.0.0.1 (gateway.host / LLMGW_HOST).',
    );
  }

  const server = createServer(getRequestListener(createApp(options).fetch));
  const exchanges = countExchanges(server);
  const bound = await listen(server, host, port);
  const url = listenUrl(host, bound);
  log.info({ url }, 'conductor listening');
  if (open) {
    log.warn(
      { url },
      'no auth tokens configured: serving loopback only; set LLMGW_AUTH_TOKENS to accept other hosts',
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= drainAndClose(server, {
      busy: () => exchanges() + relay.inflight(),
      timeoutMs: config.gateway.drain_timeout,
      onTimeout: (busy) => log.warn({ busy }, 'drain timeout: closing connections still in flight'),
    }).then(() => log.info({ url }, 'conductor stopped'));
    return stopping;
  };
  return { url, port: bound, stop };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message;
      reject(new LlmgwError(`cannot listen on ${listenUrl(host, port)}: ${why}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Requests whose response has not finished yet: a stream counts until its last byte is written. */
function countExchanges(server: Server): () => number {
  let open = 0;
  server.on('request', (_request, response) => {
    open += 1;
    response.once('close', () => {
      open -= 1;
    });
  });
  return () => open;
}

async function drainAndClose(
  server: Server,
  drain: { busy: () => number; timeoutMs: number; onTimeout: (busy: number) => void },
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const deadline = Date.now() + drain.timeoutMs;
  while (drain.busy() > 0 && Date.now() < deadline) {
    // Keep-alive sockets between requests would hold close() open; they carry nothing to finish.
    server.closeIdleConnections();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  if (drain.busy() > 0) drain.onTimeout(drain.busy());
  server.closeAllConnections();
  await closed;
}

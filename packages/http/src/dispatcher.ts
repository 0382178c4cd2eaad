import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { LlmgwError } from '@llmgw/core';
import { Agent } from 'undici';
import { createProxyTunnel } from './proxy-tunnel.js';
import { parseProxyUrl, type Route } from './route.js';

/** Transport settings from config (`http:` section); every dispatcher is built from them. */
export interface HttpSettings {
  connectTimeoutMs: number;
  /** Until the response headers arrive (undici `headersTimeout`). */
  firstByteTimeoutMs: number;
  /** Longest silence between two body chunks (undici `bodyTimeout`). */
  idleTimeoutMs: number;
  /** Upper bound of open sockets per upstream origin, per route. */
  connectionsPerOrigin: number;
  /** How long an idle socket stays open when the server gives no keep-alive hint. */
  keepAliveTimeoutMs: number;
}

/** A dispatcher plus whatever else must be closed with it. */
export interface RouteDispatcher {
  dispatcher: Agent;
  close(): Promise<void>;
}

/**
 * Trust for a provider with its own CA (GigaChat's Russian Trusted Root): Node's `ca` option *replaces*
 * the default roots, so the file is added to them rather than used alone.
 */
export function loadCa(caFile: string | undefined): string[] | undefined {
  if (caFile === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new LlmgwError(`cannot read CA file ${caFile}`, { cause: error });
  }
  return [...rootCertificates, pem];
}

export function createRouteDispatcher(
  route: Route,
  caFile: string | undefined,
  settings: HttpSettings,
): RouteDispatcher {
  const ca = loadCa(caFile);
  const pooling = {
    connections: settings.connectionsPerOrigin,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    headersTimeout: settings.firstByteTimeoutMs,
    bodyTimeout: settings.idleTimeoutMs,
  };
  if (route.kind === 'direct') {
    const agent = new Agent({
      ...pooling,
      connect: { timeout: settings.connectTimeoutMs, ...(ca ? { ca } : {}) },
    });
    return { dispatcher: agent, close: () => agent.close() };
  }
  const tunnel = createProxyTunnel(parseProxyUrl(route.url), {
    connectTimeoutMs: settings.connectTimeoutMs,
    ca,
  });
  const agent = new Agent({ ...pooling, connect: tunnel.connect });
  return {
    dispatcher: agent,
    close: async () => {
      await agent.close();
      await tunnel.close();
    },
  };
}

import { PROXY_INVALID_URL } from './proxy-codes.js';
import { HttpTransportError } from './transport-error.js';

/** How a call leaves the gateway: straight to the upstream, or tunnelled through one forward proxy. */
export type Route = { kind: 'direct' } | { kind: 'proxy'; url: string };

/** A proxy URL taken apart once, so credentials travel only as a header and never as text. */
export interface ProxyEndpoint {
  /** `http://host:port` without credentials: what undici connects to. */
  origin: string;
  secure: boolean;
  /** `Basic …` when the URL carried `user:pass`. */
  authorization: string | undefined;
  /** The URL with any credentials replaced by `***`: the only form that may reach a message. */
  masked: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Accepts `http://user:pass@host:port`, `https://…` and bare `host:port` (meaning http, as SPEC §3 says). */
export function parseProxyUrl(raw: string): ProxyEndpoint {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(SCHEME.test(text) ? text : `http://${text}`);
  } catch {
    // The raw text may hold credentials, so it is not echoed.
    throw invalidProxy('proxy URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidProxy(`proxy scheme ${url.protocol} is not supported (use http: or https:)`);
  }
  const hasCredentials = url.username !== '' || url.password !== '';
  const authorization = hasCredentials
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  return {
    origin: url.origin,
    secure: url.protocol === 'https:',
    authorization,
    masked: `${url.protocol}//${hasCredentials ? '***@' : ''}${url.host}`,
  };
}

/** Cache key of a route: one dispatcher per distinct proxy (credentials included) and CA file. */
export function routeKey(route: Route, caFile: string | undefined): string {
  const target = route.kind === 'direct' ? 'direct' : route.url.trim();
  return caFile === undefined ? target : `${target}\n${caFile}`;
}

/** How a route may be named in messages and logs. */
export function describeRoute(route: Route): string {
  if (route.kind === 'direct') return 'direct';
  try {
    return parseProxyUrl(route.url).masked;
  } catch {
    return 'proxy (invalid URL)';
  }
}

/** A proxy that cannot be used is the proxy's fault: `proxy_error` moves its keys to another one. */
function invalidProxy(message: string): HttpTransportError {
  return new HttpTransportError(message, { transport: 'proxy_error', code: PROXY_INVALID_URL });
}

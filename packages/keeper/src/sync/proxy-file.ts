import { withoutBom } from '@llmgw/core';
import type { MalformedLine } from './key-file.js';

export interface ProxyLine {
  /** Normalised URL with scheme, e.g. `http://user:pass@host:8080`. */
  url: string;
  line: number;
}

export interface ParsedProxyFile {
  proxies: ProxyLine[];
  malformed: MalformedLine[];
}

const SUPPORTED_SCHEMES = new Set(['http:', 'https:']);

/** Parses a proxy list: one URL per line; `host:port` means http (SPEC §3). */
export function parseProxyFile(text: string): ParsedProxyFile {
  const proxies: ProxyLine[] = [];
  const malformed: MalformedLine[] = [];
  const seen = new Set<string>();
  withoutBom(text)
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = index + 1;
      const trimmed = raw.replace(/\s#.*$/, '').trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const candidate = trimmed.includes('://') ? trimmed : `http://${trimmed}`;
      let parsed: URL;
      try {
        parsed = new URL(candidate);
      } catch {
        malformed.push({
          line,
          problem: 'not a proxy URL (expected http://[user:pass@]host:port or host:port)',
        });
        return;
      }
      if (!SUPPORTED_SCHEMES.has(parsed.protocol)) {
        malformed.push({
          line,
          problem: `unsupported proxy scheme ${parsed.protocol.replace(':', '')} (http and https are)`,
        });
        return;
      }
      if (parsed.port === '' || parsed.hostname === '') {
        malformed.push({ line, problem: 'a proxy needs a host and a port' });
        return;
      }
      const url = `${parsed.protocol}//${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.host}`;
      if (seen.has(url)) return;
      seen.add(url);
      proxies.push({ url, line });
    });
  return { proxies, malformed };
}

/** A proxy URL safe to show: credentials replaced, e.g. `http://***@10.0.0.1:3128`. */
export function maskProxyUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.username || parsed.password
      ? `${parsed.protocol}//***@${parsed.host}`
      : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(unparseable proxy url)';
  }
}

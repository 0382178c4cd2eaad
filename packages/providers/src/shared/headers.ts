import type { ProviderSettings } from '../types.js';

/** Header names are case-insensitive; everything here reads them lower-cased. */
export function lowerCaseHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** A finite number from a header, or undefined (absent, empty or garbage). */
export function headerNumber(headers: Record<string, string>, name: string): number | undefined {
  const raw = headers[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The credential header for the configured scheme; `none` (local Ollama) sends nothing. */
export function authHeaders(settings: ProviderSettings, credential: string): Record<string, string> {
  switch (settings.auth) {
    case 'bearer':
    case 'oauth':
      return credential ? { authorization: `Bearer ${credential}` } : {};
    case 'x-api-key':
      return { 'x-api-key': credential };
    case 'x-goog-api-key':
      return { 'x-goog-api-key': credential };
    case 'none':
      return {};
  }
}

/**
 * Request headers in a fixed order of precedence: protocol defaults, then the operator's extra
 * headers, then the credential, so a stray configured header can never replace the key.
 */
export function requestHeaders(
  settings: ProviderSettings,
  credential: string,
  defaults: Record<string, string>,
): Record<string, string> {
  // One object filled in place: this runs for every upstream call.
  const out: Record<string, string> = { ...defaults };
  const extra = settings.headers;
  if (extra !== undefined)
    for (const name of Object.keys(extra)) out[name.toLowerCase()] = extra[name] as string;
  return Object.assign(out, authHeaders(settings, credential));
}

export function joinUrl(baseUrl: string, path: string): string {
  // The usual shapes (no trailing or leading slash to trim) need no regular expression.
  const base = baseUrl.endsWith('/') ? baseUrl.replace(/\/+$/, '') : baseUrl;
  const tail = path.startsWith('/') ? path.replace(/^\/+/, '') : path;
  return `${base}/${tail}`;
}

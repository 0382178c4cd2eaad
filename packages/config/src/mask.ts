import { maskKey } from '@llmgw/core';
import { isPlainObject, type PlainObject, setOwn } from './merge.js';

/** Setting and header names whose values are secrets, wherever they appear. */
const SECRET_NAME =
  /(^|[_-])(tokens?|secret|password|passwd|api[_-]?key|apikey|authorization|auth[_-]?key|credentials?|cookie)$/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::([^\s/@]*))?@/gi;

/**
 * A copy safe to print: values under secret-looking names become `maskKey()` masks and credentials
 * inside any URL (proxy, DATABASE_URL) become `***`. Used by `config show`; never mutates its input.
 */
export function maskSecrets(value: unknown, name = ''): unknown {
  if (typeof value === 'string') return SECRET_NAME.test(name) ? maskKey(value) : maskUrlCredentials(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, name));
  if (isPlainObject(value)) {
    const masked: PlainObject = {};
    for (const [key, inner] of Object.entries(value)) setOwn(masked, key, maskSecrets(inner, key));
    return masked;
  }
  return value;
}

export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, (_match, scheme: string, user: string, password: string | undefined) =>
    password === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
}

import { LlmgwError } from '@llmgw/core';

/** A database URL fit for a log line or an error: the password replaced by `***`. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

/** `host:port/database`, the part of a URL an operator checks first. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '');
    return `${parsed.hostname}:${parsed.port || '5432'}${database ? `/${database}` : ''}`;
  } catch {
    return maskDatabaseUrl(url);
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

// Postgres SQLSTATEs and Node socket codes, mapped to what the operator should look at.
const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running and listening there?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset by the server',
  '28P01': 'authentication failed (check user and password)',
  '28000': 'authentication rejected (check pg_hba.conf and the user)',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
};

function describeCause(error: unknown): string {
  const code = errorCode(error);
  if (code && CAUSES[code]) return CAUSES[code];
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(message)) return 'connection timed out';
  return message.split('\n')[0] ?? 'unknown error';
}

/** Turns a failed connection into the one-line error the CLI prints: where, and why, never the password. */
export function unreachableError(url: string, error: unknown): LlmgwError {
  return new LlmgwError(
    `cannot reach PostgreSQL at ${describeServer(url)} (${maskDatabaseUrl(url)}): ${describeCause(error)}`,
    { cause: error },
  );
}

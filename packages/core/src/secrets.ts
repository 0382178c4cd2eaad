import { createHash } from 'node:crypto';

/** A stable, non-reversible id for a key: the database and every log refer to keys by it. */
export function fingerprintKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What an operator may see of a key: its prefix and last four characters, e.g. `sk-…a1b2`. */
export function maskKey(secret: string): string {
  if (secret.length <= 8) return '…';
  const dash = secret.indexOf('-');
  const prefix = dash > 0 && dash <= 6 ? secret.slice(0, dash + 1) : secret.slice(0, 3);
  return `${prefix}…${secret.slice(-4)}`;
}

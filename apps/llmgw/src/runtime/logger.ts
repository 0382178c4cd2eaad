import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

// Defence in depth: code never logs a key, and if a field named like a secret slips in, pino blanks it.
const REDACT = [
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
];

/** JSON lines for machines; pretty when a human watches a TTY (SPEC §9). */
export function createLogger(
  level: string,
  options: { pretty?: boolean; name?: string; toStderr?: boolean } = {},
): Logger {
  const fd = options.toStderr ? 2 : 1;
  const stream = options.toStderr ? process.stderr : process.stdout;
  const usePretty = options.pretty ?? stream.isTTY === true;
  const base = { level, name: options.name ?? 'llmgw', redact: { paths: REDACT, censor: '[redacted]' } };
  return usePretty
    ? pino(base, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', sync: true, destination: fd }))
    : pino(base, pino.destination({ fd, sync: true }));
}

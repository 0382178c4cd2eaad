import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty is for a human at a terminal; a service writing JSON lines never loads it.
const requireLazily = createRequire(import.meta.url);

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

const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 100;

interface Flushable {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/** JSON lines for machines; pretty when a human watches a TTY (SPEC §9). */
export function createLogger(
  level: string,
  options: { pretty?: boolean; name?: string; toStderr?: boolean } = {},
): Logger {
  const fd = options.toStderr ? 2 : 1;
  const stream = options.toStderr ? process.stderr : process.stdout;
  const usePretty = options.pretty ?? stream.isTTY === true;
  const base = { level, name: options.name ?? 'llmgw', redact: { paths: REDACT, censor: '[redacted]' } };
  if (usePretty) {
    const pretty = requireLazily('pino-pretty') as typeof PinoPretty;
    return pino(
      base,
      pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', sync: true, destination: fd }),
    );
  }
  // Asynchronous and batched: lines collect until 4 KiB or 100 ms, then leave in one write. A write
  // per line costs a libuv thread hop in this process and a wake-up of whoever reads the pipe; at
  // 500 req/s that was ~100 µs of the gateway's CPU per request (docs/design/conductor.md). A line is
  // at most 100 ms late, pino flushes synchronously on exit, and `kill -9` loses at most those 100 ms.
  // A reader that stops reading (a stuck pipe) costs at most 4 MiB of buffered lines, then lines are
  // dropped rather than memory growing without bound.
  const destination = pino.destination({
    fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxLength: 4 * 1024 * 1024,
  });
  return pino(base, flushedWhenWritten(destination, LOG_FLUSH_MS));
}

/**
 * What pino writes to: `destination`, flushed every `everyMs` only when a line arrived since the last
 * tick. sonic-boom's own `periodicFlush` writes even when it holds nothing, so an idle gateway made a
 * thread-pool write (and two wake-ups) ten times a second for no line at all.
 */
function flushedWhenWritten(
  destination: ReturnType<typeof pino.destination>,
  everyMs: number,
): DestinationStream & Flushable {
  let written = false;
  const timer = setInterval(() => {
    if (!written) return;
    written = false;
    destination.flush();
  }, everyMs);
  timer.unref();
  destination.once('close', () => clearInterval(timer));
  return {
    write(line: string) {
      written = true;
      return destination.write(line);
    },
    // logger.flush() and pino's own exit handling use these.
    flush: (callback?: (error?: Error) => void) => destination.flush(callback),
    flushSync: () => destination.flushSync(),
  };
}

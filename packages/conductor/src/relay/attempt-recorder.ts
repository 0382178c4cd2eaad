import { type Database, insertAttempts } from '@llmgw/db';
import type { Logger } from 'pino';
import type { AttemptRecord } from '../contracts.js';
import type { AttemptSink } from './types.js';

export interface AttemptRecorderOptions {
  database: Database;
  log: Logger;
  /** Longest a record waits before its batch is written; default 1 s. */
  flushMs?: number;
  /** Rows per insert; a full batch is written at once. Default 500. */
  maxBatch?: number;
  /** Records kept while the database is unreachable; beyond that the oldest are dropped. Default 50 000. */
  maxBuffered?: number;
  /** Longest wait between retries while the database is down; default 30 s. */
  maxRetryMs?: number;
}

export interface AttemptRecorder extends AttemptSink {
  /** Writes everything recorded so far (a failed write stays buffered and is retried). */
  flush(): Promise<void>;
  /** Final flush, retried a few times; nothing buffered is lost unless the database stays down. */
  close(): Promise<void>;
  /** Records waiting to be written. */
  buffered(): number;
}

const CLOSE_RETRIES = 5;

/**
 * The attempts table, written off the hot path: `record` only appends to a buffer; inserts happen
 * in batches on a timer or when a batch is full, one at a time. A database outage costs memory up to
 * `maxBuffered`, never a request; the oldest records go first, counted in the log.
 */
export function createAttemptRecorder(options: AttemptRecorderOptions): AttemptRecorder {
  const { database, log } = options;
  const flushMs = options.flushMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 500;
  const maxBuffered = options.maxBuffered ?? 50_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let buffer: AttemptRecord[] = [];
  let dropped = 0;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const schedule = (delayMs: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
    // Buffered records never keep the process alive; close() is what writes them on shutdown.
    timer.unref();
  };

  const bound = () => {
    const excess = buffer.length - maxBuffered;
    if (excess <= 0) return;
    buffer.splice(0, excess);
    dropped += excess;
  };

  /**
   * Writes what was buffered when it started, then only full batches: records that arrive during a
   * write wait for their timer. Looping until the buffer is empty turned steady load into one small
   * insert per round trip (about 20 rows each at 1,500 req/s), which cost Postgres 70 µs of CPU per
   * request instead of 27.
   */
  const drain = async () => {
    let owed = buffer.length;
    while (buffer.length > 0 && (owed > 0 || buffer.length >= maxBatch)) {
      const batch = buffer.splice(0, maxBatch);
      owed -= batch.length;
      try {
        await insertAttempts(database, batch);
        failures = 0;
      } catch (error) {
        buffer = batch.concat(buffer);
        bound();
        failures += 1;
        log.warn(
          {
            event: 'attempts.write_failed',
            buffered: buffer.length,
            dropped,
            error: error instanceof Error ? error.message : String(error),
          },
          'attempt records not written; will retry',
        );
        dropped = 0;
        if (!closed) schedule(Math.min(maxRetryMs, flushMs * 2 ** failures));
        return;
      }
    }
    if (buffer.length > 0 && !closed) schedule(flushMs);
  };

  const flush = (): Promise<void> => {
    if (running === undefined) {
      clearTimeout(timer);
      timer = undefined;
      running = drain().finally(() => {
        running = undefined;
      });
    }
    return running;
  };

  return {
    record(attempt) {
      buffer.push(attempt);
      bound();
      if (closed || buffer.length >= maxBatch) void flush();
      else schedule(flushMs);
    },
    flush,
    buffered: () => buffer.length,
    async close() {
      closed = true;
      for (let retry = 0; retry <= CLOSE_RETRIES; ) {
        // A flush already running may have started before the last records arrived: run until empty,
        // and wait between rounds only when a write failed.
        await flush();
        if (buffer.length === 0) break;
        if (failures === 0) continue;
        await new Promise((resolve) => setTimeout(resolve, Math.min(maxRetryMs, 100 * 2 ** retry)));
        retry += 1;
      }
      clearTimeout(timer);
      timer = undefined;
      if (buffer.length > 0 || dropped > 0) {
        log.error(
          { event: 'attempts.lost_on_close', lost: buffer.length + dropped },
          'attempt records could not be written before shutdown',
        );
      }
    },
  };
}

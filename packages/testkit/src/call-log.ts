import type { Operation, Provider } from './wire.js';

/**
 * One request the upstream saw. It is logged when the request arrives, so in-flight (hanging) calls
 * are visible; `status`, `durationMs` and `aborted` are filled in when the exchange ends.
 */
export interface CallRecord {
  /** Arrival time, epoch ms. */
  at: number;
  path: string;
  method: string;
  provider: Provider;
  operation: Operation;
  /** The credential as the client sent it; for GigaChat API calls, the auth key behind the token. */
  key: string;
  model: string;
  stream: boolean;
  /** Status sent; 0 while nothing was sent (in flight, hanging, or aborted before an answer). */
  status: number;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  /** Arrival to end of response (or to the abort); 0 while in flight. */
  durationMs: number;
  /** The connection came from a forward proxy created in this process. */
  viaProxy: boolean;
  /** Resolved behaviour that answered, e.g. `ok`, `status`, `hang`. */
  behavior: string;
}

export interface CallLog {
  add(record: CallRecord): void;
  all(): readonly CallRecord[];
  forKey(key: string): readonly CallRecord[];
  clear(): void;
}

/**
 * Bounded so a long benchmark cannot grow memory without end: past `limit`, the oldest tenth is
 * dropped in one splice (cheaper than shifting per call).
 */
export function createCallLog(limit = 200_000): CallLog {
  let records: CallRecord[] = [];
  return {
    add(record) {
      if (records.length >= limit) records.splice(0, Math.max(1, Math.floor(limit / 10)));
      records.push(record);
    },
    all: () => records,
    forKey: (key) => records.filter((record) => record.key === key),
    clear() {
      records = [];
    },
  };
}

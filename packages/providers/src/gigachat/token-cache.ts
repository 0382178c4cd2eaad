import { type AbortWatch, LlmgwError } from '@llmgw/core';
import { TOKEN_REFRESH_AHEAD_MS } from './config.js';
import type { GigachatToken } from './response.js';

export interface GigachatTokenCacheOptions {
  /** Does the OAuth call (the caller owns the I/O); `signal` aborts once no caller waits any more. */
  fetchToken: (authKey: string, signal: AbortSignal) => Promise<GigachatToken>;
  refreshAheadMs?: number;
  now?: () => number;
}

export interface GigachatTokenCache {
  /** A token valid for at least `refreshAheadMs`; concurrent callers for one key share one fetch. */
  getToken(keyId: string, authKey: string, signal?: AbortWatch): Promise<string>;
  /** After a 401: forget `staleToken` unless it was already replaced, so N callers cause one refresh. */
  invalidate(keyId: string, staleToken: string): void;
  /** Forget a key entirely (removed from the pool). */
  forget(keyId: string): void;
}

interface Flight {
  promise: Promise<GigachatToken>;
  waiters: number;
  /** Called when the last waiting caller aborted: stop the OAuth call rather than finish it for nobody. */
  abandon: (reason: unknown) => void;
}

/** Resolves with the shared fetch, or rejects when this caller's own signal aborts first. */
function waitFor(flight: Flight, signal: AbortWatch | undefined): Promise<GigachatToken> {
  if (!signal) return flight.promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  flight.waiters += 1;
  return new Promise<GigachatToken>((resolve, reject) => {
    const onAbort = () => {
      flight.waiters -= 1;
      if (flight.waiters === 0) flight.abandon(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    flight.promise.then(
      (token) => {
        signal.removeEventListener('abort', onAbort);
        resolve(token);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Access tokens per GigaChat key, in memory: each replica holds its own tokens (a token is a
 * credential, not shared state), refreshes ahead of expiry, and never runs two OAuth calls for one
 * key at once — 20 requests arriving with no token make exactly one call.
 */
export function createGigachatTokenCache(options: GigachatTokenCacheOptions): GigachatTokenCache {
  const refreshAheadMs = options.refreshAheadMs ?? TOKEN_REFRESH_AHEAD_MS;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, GigachatToken>();
  const flights = new Map<string, Flight>();

  const start = (keyId: string, authKey: string, withoutSignal: boolean): Flight => {
    const controller = new AbortController();
    const flight: Flight = {
      abandon: (reason) => {
        // Later callers must start afresh instead of joining a fetch that is being aborted.
        if (flights.get(keyId) === flight) flights.delete(keyId);
        controller.abort(reason);
      },
      // Callers without a signal can never abort, so they keep the fetch alive forever.
      waiters: withoutSignal ? Number.POSITIVE_INFINITY : 0,
      promise: options.fetchToken(authKey, controller.signal).then(
        (token) => {
          if (flights.get(keyId) === flight) {
            flights.delete(keyId);
            tokens.set(keyId, token);
          }
          return token;
        },
        (error: unknown) => {
          if (flights.get(keyId) === flight) flights.delete(keyId);
          throw error instanceof LlmgwError
            ? error
            : new LlmgwError('gigachat token fetch failed', { cause: error });
        },
      ),
    };
    flights.set(keyId, flight);
    return flight;
  };

  return {
    async getToken(keyId, authKey, signal) {
      const cached = tokens.get(keyId);
      if (cached && cached.expiresAt - refreshAheadMs > now()) return cached.accessToken;
      const existing = flights.get(keyId);
      const flight = existing ?? start(keyId, authKey, signal === undefined);
      if (existing && signal === undefined) existing.waiters = Number.POSITIVE_INFINITY;
      return (await waitFor(flight, signal)).accessToken;
    },
    invalidate(keyId, staleToken) {
      if (tokens.get(keyId)?.accessToken === staleToken) tokens.delete(keyId);
    },
    forget(keyId) {
      tokens.delete(keyId);
      flights.delete(keyId);
    },
  };
}

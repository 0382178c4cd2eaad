import type { AbortWatch } from '@llmgw/core';
import type { ClientError, Relay, RelayHeaders, RelayInput, RelayResult } from '../contracts.js';
import type { GatewayMetrics } from '../metrics/contract.js';

export const COALESCED_HEADER = 'x-llm-coalesced';

/** Identical requests share one relay call while it is in flight (in this replica's memory). */
export interface Coalescer {
  /** Relays `input`, or waits for the identical request (`key`) already in flight and shares its answer. */
  relay(input: RelayInput, key: string, relay: Relay): Promise<RelayResult>;
  /** Calls in flight that others may still join. */
  flights(): number;
}

interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Unsubscribes and leaves the flight; idempotent. */
  drop(): void;
}

interface Flight {
  key: string;
  /** The shared call's own signal: it aborts only when the last waiter has left. */
  controller: AbortController;
  /** Requests that still want the answer (or the rest of the stream). */
  waiters: number;
  /** Resolves exactly once, with the relay's answer; never rejects. */
  answer: Promise<RelayResult>;
  /** No longer joinable: answered, streamed to its end, or given up by every waiter. */
  landed: boolean;
  /** A stream's bytes so far, replayed to whoever subscribes late. */
  chunks: Uint8Array[];
  subscribers: Set<Subscriber>;
  /** Set once the shared stream has ended (`error` when reading it failed). */
  streamEnd: { error: unknown } | null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
}

/**
 * In-flight coalescing (docs/design/pool-intelligence.md): the first request of a kind calls the relay
 * with a signal of its own; identical ones arriving meanwhile wait for the same answer. A JSON answer
 * or an error reaches each waiter once; a stream is read once and fanned out chunk by chunk (a late
 * joiner gets the chunks so far, then the live ones). A waiter leaving never disturbs the others; the
 * shared call is aborted only when the last one has left.
 */
export function createCoalescer(metrics: GatewayMetrics): Coalescer {
  const flights = new Map<string, Flight>();

  const land = (flight: Flight) => {
    flight.landed = true;
    if (flights.get(flight.key) === flight) flights.delete(flight.key);
  };

  const leave = (flight: Flight) => {
    flight.waiters -= 1;
    if (flight.waiters > 0 || flight.streamEnd !== null) return;
    if (flight.landed && flight.reader === null) return; // a JSON answer already delivered
    // Nobody wants the answer any more: the upstream call stops, and nobody new joins a dying call.
    land(flight);
    flight.controller.abort(new Error('every coalesced client left'));
    flight.reader?.cancel().catch(() => undefined);
  };

  const endStream = (flight: Flight, error: unknown) => {
    flight.streamEnd = { error };
    land(flight);
    for (const subscriber of [...flight.subscribers]) {
      try {
        if (error === undefined) subscriber.controller.close();
        else subscriber.controller.error(error);
      } catch {
        // That client cancelled at the same moment: nothing left to tell it.
      }
      subscriber.drop();
    }
  };

  const pump = async (flight: Flight, body: ReadableStream<Uint8Array>) => {
    const reader = body.getReader();
    flight.reader = reader;
    if (flight.landed) {
      // Every waiter left while the stream was being opened.
      await reader.cancel().catch(() => undefined);
      return;
    }
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        flight.chunks.push(value);
        for (const subscriber of flight.subscribers) {
          try {
            subscriber.controller.enqueue(value);
          } catch {
            subscriber.drop();
          }
        }
      }
      endStream(flight, undefined);
    } catch (error) {
      endStream(flight, error);
    }
  };

  const start = (key: string, input: RelayInput, relay: Relay): Flight => {
    let deliver: (result: RelayResult) => void = () => undefined;
    const flight: Flight = {
      key,
      controller: new AbortController(),
      waiters: 0,
      answer: new Promise<RelayResult>((resolve) => {
        deliver = resolve;
      }),
      landed: false,
      chunks: [],
      subscribers: new Set(),
      streamEnd: null,
      reader: null,
    };
    relay.relay({ ...input, signal: flight.controller.signal }).then(
      (result) => {
        if (result.kind === 'stream') void pump(flight, result.body);
        else land(flight);
        deliver(result);
      },
      // The relay answers its own failures; should it ever throw, every waiter still hears once.
      () => {
        land(flight);
        deliver({ kind: 'error', error: internalError(input.requestId), headers: {} });
      },
    );
    flights.set(key, flight);
    return flight;
  };

  const subscribe = (flight: Flight, signal: AbortWatch, onLeave: () => void) => {
    let subscriber: Subscriber | null = null;
    let gone = false;
    const drop = () => {
      if (gone) return;
      gone = true;
      if (subscriber) flight.subscribers.delete(subscriber);
      signal.removeEventListener('abort', onAbort);
      onLeave();
    };
    const onAbort = () => {
      try {
        subscriber?.controller.close();
      } catch {
        // Already closed or cancelled.
      }
      drop();
    };
    return new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of flight.chunks) controller.enqueue(chunk);
        const end = flight.streamEnd;
        if (end !== null) {
          if (end.error === undefined) controller.close();
          else controller.error(end.error);
          drop();
          return;
        }
        subscriber = { controller, drop };
        flight.subscribers.add(subscriber);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      },
      cancel() {
        drop();
      },
    });
  };

  const join = async (flight: Flight, input: RelayInput, follower: boolean): Promise<RelayResult> => {
    flight.waiters += 1;
    let left = false;
    const leaveOnce = () => {
      if (left) return;
      left = true;
      leave(flight);
    };
    const answer = await untilAborted(flight.answer, input.signal);
    if (answer === 'aborted') {
      leaveOnce();
      return { kind: 'error', error: clientClosed(), headers: { 'x-request-id': input.requestId } };
    }
    const headers = headersFor(answer.headers, input.requestId, follower);
    if (answer.kind !== 'stream') {
      leaveOnce();
      return { ...answer, headers };
    }
    return { kind: 'stream', body: subscribe(flight, input.signal, leaveOnce), headers };
  };

  return {
    flights: () => flights.size,
    relay(input, key, relay) {
      if (input.signal.aborted) return relay.relay(input);
      const inFlight = flights.get(key);
      if (inFlight !== undefined) {
        metrics.coalesced();
        return join(inFlight, input, true);
      }
      return join(start(key, input, relay), input, false);
    },
  };
}

/** The shared answer's headers for one waiter: its own request id, and whether it rode along. */
function headersFor(shared: RelayHeaders, requestId: string, follower: boolean): RelayHeaders {
  const headers: RelayHeaders = { ...shared, 'x-request-id': requestId };
  if (follower) headers[COALESCED_HEADER] = 'true';
  return headers;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortWatch): Promise<T | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise<T | 'aborted'>((resolve) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

// Nobody reads this (the client is gone); 499 as the relay answers a client that left.
function clientClosed(): ClientError {
  return {
    status: 499,
    message: 'client closed the request',
    type: 'client_error',
    code: 'client_closed_request',
  };
}

function internalError(requestId: string): ClientError {
  return {
    status: 500,
    message: `internal gateway error (request ${requestId})`,
    type: 'server_error',
    code: 'internal_error',
  };
}

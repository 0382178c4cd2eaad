import { describe, expect, it } from 'vitest';
import type { RelayInput, RelayResult } from '../contracts.js';
import { createScriptedRelay } from '../http/test-support.js';
import { coalesceKey } from './coalesce-key.js';
import { createCoalescer } from './create-coalescer.js';

let serial = 0;
function input(body: Record<string, unknown>, signal = new AbortController().signal): RelayInput {
  serial += 1;
  return {
    operation: 'chat',
    body: { model: 'm', messages: [{ role: 'user', content: 'q' }], ...body },
    tiers: [[{ provider: 'openai', model: 'm' }]],
    stream: false,
    requestId: `req-${serial}`,
    signal,
  };
}

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('coalesceKey', () => {
  it('keys deterministic requests by their body whatever the field order', () => {
    const a = coalesceKey(input({ temperature: 0, top_p: 1 }), undefined);
    const b = coalesceKey(
      {
        ...input({}),
        body: { top_p: 1, temperature: 0, messages: [{ content: 'q', role: 'user' }], model: 'm' },
      },
      undefined,
    );
    expect(a).not.toBeNull();
    expect(a).toBe(b);
    expect(coalesceKey(input({ seed: 7 }), undefined)).not.toBeNull();
    expect(coalesceKey(input({ temperature: 0 }), 'groq')).not.toBe(
      coalesceKey(input({ temperature: 0 }), undefined),
    );
    expect(coalesceKey({ ...input({ temperature: 0 }), stream: true }, undefined)).not.toBe(
      coalesceKey(input({ temperature: 0 }), undefined),
    );
  });

  it('gives no key to a request that may answer differently each time', () => {
    expect(coalesceKey(input({}), undefined)).toBeNull();
    expect(coalesceKey(input({ temperature: 0.2 }), undefined)).toBeNull();
  });
});

describe('createCoalescer', () => {
  it('delivers an error to every waiter exactly once, from one relay call', async () => {
    const error: RelayResult = {
      kind: 'error',
      error: {
        status: 503,
        message: 'no usable upstream',
        type: 'service_unavailable',
        code: 'no_usable_upstream',
      },
      headers: { 'x-llm-attempts': '0' },
    };
    const relay = createScriptedRelay(() => later(100, error));
    let counted = 0;
    const coalescer = createCoalescer({
      offlineHit() {},
      cacheLookup() {},
      affinity() {},
      coalesced: () => {
        counted += 1;
      },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => coalescer.relay(input({ temperature: 0 }), 'k', relay)),
    );
    expect(relay.inputs).toHaveLength(1);
    expect(results.map((result) => result.kind)).toEqual(Array(5).fill('error'));
    expect(results.filter((result) => result.headers['x-llm-coalesced'] === 'true')).toHaveLength(4);
    expect(counted).toBe(4);
    // Once landed, the next identical request makes its own call.
    expect(coalescer.flights()).toBe(0);
    await coalescer.relay(input({ temperature: 0 }), 'k', relay);
    expect(relay.inputs).toHaveLength(2);
  });

  it('lets a waiter that leaves go at once while the others still get the answer', async () => {
    const relay = createScriptedRelay(() =>
      later(150, { kind: 'json', status: 200, body: { id: 'x' }, headers: {} } as RelayResult),
    );
    const coalescer = createCoalescer({ offlineHit() {}, cacheLookup() {}, affinity() {}, coalesced() {} });
    const leaving = new AbortController();
    const first = coalescer.relay(input({ temperature: 0 }), 'k2', relay);
    const quitter = coalescer.relay(input({ temperature: 0 }, leaving.signal), 'k2', relay);
    leaving.abort();
    const quit = await quitter;
    expect(quit.kind === 'error' && quit.error.status).toBe(499);
    const answer = await first;
    expect(answer.kind === 'json' && answer.body).toEqual({ id: 'x' });
    // The shared call was not aborted by the one who left.
    expect(relay.inputs[0]?.signal.aborted).toBe(false);
  });
});

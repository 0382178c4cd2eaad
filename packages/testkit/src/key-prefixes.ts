import type { Behavior } from './behaviors.js';

/**
 * Behaviour chosen by the key's own spelling, so a demo (or a key file) needs no code: a key
 * `test-429-anything` is rate limited. Order matters only where one prefix starts another.
 */
const PREFIXES: ReadonlyArray<readonly [string, Behavior]> = [
  ['test-ok-', { kind: 'ok' }],
  ['test-401-', { kind: 'status', status: 401 }],
  ['test-402-', { kind: 'status', status: 402 }],
  ['test-403-', { kind: 'status', status: 403 }],
  ['test-429-', { kind: 'status', status: 429, retryAfterSec: 2 }],
  ['test-529-', { kind: 'status', status: 529, retryAfterSec: 2 }],
  ['test-quota-', { kind: 'status', status: 429, variant: 'insufficient_quota' }],
  ['test-perday-', { kind: 'status', status: 429, variant: 'per_day' }],
  ['test-slow-', { kind: 'ok', firstByteDelayMs: 3_000, chunkDelayMs: 200 }],
  ['test-hang-', { kind: 'hang' }],
  ['test-cut-', { kind: 'cut_stream', afterChunks: 2 }],
  ['test-stall-', { kind: 'stall', afterChunks: 2 }],
  ['test-streamerr-', { kind: 'stream_error', afterChunks: 2 }],
  ['test-nomodel-', { kind: 'status', status: 404 }],
  ['test-5xx-', { kind: 'status', status: 500 }],
  ['test-503-', { kind: 'status', status: 503 }],
  ['test-flaky-', { kind: 'flaky', failEvery: 2 }],
];

const RPM_PREFIX = /^test-rpm(\d+)-/;
// Behaviour state is keyed by the behaviour object, so each limit must map to one object for good.
const rpmBehaviors = new Map<number, Behavior>();

/** The behaviour a key's prefix asks for, or undefined for an ordinary key. */
export function behaviorFromKeyPrefix(key: string): Behavior | undefined {
  if (!key.startsWith('test-')) return undefined;
  for (const [prefix, behavior] of PREFIXES) {
    if (key.startsWith(prefix)) return behavior;
  }
  const rpm = RPM_PREFIX.exec(key);
  if (rpm?.[1] === undefined) return undefined;
  const limit = Number(rpm[1]);
  let behavior = rpmBehaviors.get(limit);
  if (behavior === undefined) {
    behavior = { kind: 'rpm', limit };
    rpmBehaviors.set(limit, behavior);
  }
  return behavior;
}

/** Prefix → description, for the standalone server's banner. */
export function describeKeyPrefixes(): string[] {
  return [
    ...PREFIXES.map(([prefix, behavior]) => `${prefix}…  ${JSON.stringify(behavior)}`),
    'test-rpm<N>-…  {"kind":"rpm","limit":N}',
  ];
}

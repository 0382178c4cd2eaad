/** Test support only (not exported from the package): fixtures and stream replays. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { ChatCompletionChunk } from '../openai-types.js';
import type { CallContext, ProviderSettings, StreamParser } from '../types.js';
import { isUpstreamStreamError } from './stream-error.js';

export function fixture(metaUrl: string, name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, metaUrl), 'utf8');
}

export function jsonFixture<T = Record<string, unknown>>(metaUrl: string, name: string): T {
  return JSON.parse(fixture(metaUrl, name)) as T;
}

export function context(settings: Partial<ProviderSettings> & Pick<ProviderSettings, 'type'>): CallContext {
  return {
    settings: {
      name: 'test',
      baseUrl: 'https://upstream.test/v1',
      auth: 'bearer',
      headers: {},
      probeMethod: 'chat',
      ...settings,
    },
    credential: 'sk-test-secret',
    requestId: 'req-1',
  };
}

/** Feeds `bytes` cut at `cuts`, then ends; a stream failure is returned instead of thrown. */
export function replay(parser: StreamParser, bytes: Uint8Array, cuts: number[] = []) {
  const chunks: ChatCompletionChunk[] = [];
  const bounds = [...new Set([0, ...cuts, bytes.length])].sort((a, b) => a - b);
  try {
    for (let i = 1; i < bounds.length; i += 1)
      chunks.push(...parser.push(bytes.subarray(bounds[i - 1], bounds[i])));
    chunks.push(...parser.end());
    return { chunks };
  } catch (error) {
    if (!isUpstreamStreamError(error)) throw error;
    return { chunks: [...chunks, ...error.chunks], failure: error.classification.reason };
  }
}

/** Property: however the bytes are split (inside UTF-8 characters, CRLFs, fields), the result is the same. */
export function expectSplitInvariant(create: () => StreamParser, text: string): void {
  const bytes = new TextEncoder().encode(text);
  const whole = replay(create(), bytes);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
      expect(replay(create(), bytes, cuts)).toEqual(whole);
    }),
    { numRuns: 200 },
  );
  // Byte by byte, the harshest split.
  expect(
    replay(
      create(),
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    ),
  ).toEqual(whole);
}

export const crlf = (text: string) => text.replace(/\n/g, '\r\n');
export const bare = (text: string) => text.replace(/\n/g, '\r');

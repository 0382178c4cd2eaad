// Test-only helper (imported by *.test.ts): an attempts row with plain defaults, changed where a test says.
import type { AttemptRow } from './pool/insert-attempts.js';

export function attemptRow(partial: Partial<AttemptRow> = {}): AttemptRow {
  return {
    requestId: 'req-1',
    attemptNo: 1,
    final: true,
    provider: 'mock',
    model: 'm1',
    keyId: null,
    tripleId: null,
    proxyId: null,
    outcome: 'ok',
    status: 200,
    latencyMs: 0,
    ttfbMs: null,
    promptTokens: null,
    completionTokens: null,
    cachedTokens: null,
    stream: false,
    message: null,
    ...partial,
  };
}

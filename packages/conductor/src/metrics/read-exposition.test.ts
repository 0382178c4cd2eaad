import { describe, expect, it } from 'vitest';
import { readExposition } from './read-exposition.js';

describe('readExposition', () => {
  it('reads samples, labels, types and the special values prom-client writes', () => {
    const text = [
      '# HELP nodejs_eventloop_lag_seconds Lag of event loop in seconds.',
      '# TYPE nodejs_eventloop_lag_seconds gauge',
      'nodejs_eventloop_lag_seconds Nan',
      '# TYPE llm_gateway_requests_total counter',
      'llm_gateway_requests_total{provider="mock",model="gpt-4o-mini",code="200"} 3',
      'llm_gateway_request_duration_seconds_bucket{le="+Inf"} 4',
      '',
    ].join('\n');
    const exposition = readExposition(text);
    expect(exposition.types.get('llm_gateway_requests_total')).toBe('counter');
    expect(exposition.value('nodejs_eventloop_lag_seconds')).toBeNaN();
    expect(
      exposition.value('llm_gateway_requests_total', { provider: 'mock', model: 'gpt-4o-mini', code: '200' }),
    ).toBe(3);
    expect(exposition.value('llm_gateway_request_duration_seconds_bucket', { le: '+Inf' })).toBe(4);
  });

  it('refuses a sample whose value is not a number', () => {
    expect(() => readExposition('llm_gateway_inflight many\n')).toThrow(/not a sample value: many/);
  });
});

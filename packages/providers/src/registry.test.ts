import { isLlmgwError, PROVIDER_TYPES } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { adapterFor } from './registry.js';

describe('adapterFor', () => {
  it('has an adapter for every provider type', () => {
    for (const type of PROVIDER_TYPES) expect(adapterFor(type).type).toBe(type);
  });

  it('refuses an unknown type with a typed error', () => {
    let caught: unknown;
    try {
      adapterFor('cohere');
    } catch (error) {
      caught = error;
    }
    expect(isLlmgwError(caught)).toBe(true);
    expect(() => adapterFor('toString')).toThrow(/unknown provider type/);
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in config text are the subject of these tests
import { describe, expect, it } from 'vitest';
import { databaseUrl, type RawIssue, readEnvironment, substituteEnv } from './env.js';

function substitute(value: unknown, env: Record<string, string>) {
  const issues: RawIssue[] = [];
  return { value: substituteEnv(value, env, [], issues), issues };
}

describe('substituteEnv', () => {
  it('replaces references inside strings, in lists and maps, never in keys', () => {
    const { value, issues } = substitute(
      { '${KEY}': ['a-${X}-b', { deep: '${X}${X}' }] },
      { X: 'x', KEY: 'no' },
    );
    expect(issues).toEqual([]);
    expect(value).toEqual({ '${KEY}': ['a-x-b', { deep: 'xx' }] });
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(substitute('${A:-one}', {}).value).toBe('one');
    expect(substitute('${A:-one}', { A: '' }).value).toBe('one');
    expect(substitute('${A:-}', {}).value).toBe('');
    expect(substitute('${A}', { A: '' }).value).toBe('');
  });

  it('types a value that is exactly one reference', () => {
    expect(substitute('${N}', { N: '42' }).value).toBe(42);
    expect(substitute('${B:-true}', {}).value).toBe(true);
    expect(substitute('port ${N}', { N: '42' }).value).toBe('port 42');
  });

  it('reports unset variables and malformed references with their path', () => {
    const issues: RawIssue[] = [];
    substituteEnv({ a: { b: ['${UNSET}', '${bad name}', '${OPEN'] } }, {}, [], issues);
    expect(issues.map((issue) => issue.path)).toEqual([
      ['a', 'b', 0],
      ['a', 'b', 1],
      ['a', 'b', 2],
    ]);
    expect(issues[0]?.message).toContain('UNSET is not set');
    expect(issues[1]?.message).toContain('malformed reference');
  });

  it('keeps $${ as a literal ${', () => {
    expect(substitute('cost $${PRICE} and $$ stays', {}).value).toBe('cost ${PRICE} and $$ stays');
  });
});

describe('readEnvironment', () => {
  it('returns a frozen snapshot of strings', () => {
    const env = readEnvironment();
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.values(env).every((value) => typeof value === 'string')).toBe(true);
  });
});

describe('databaseUrl', () => {
  it('treats a blank DATABASE_URL as unset', () => {
    expect(databaseUrl({ DATABASE_URL: '  ' })).toBeUndefined();
    expect(databaseUrl({ DATABASE_URL: 'postgres://h/db' })).toBe('postgres://h/db');
  });
});

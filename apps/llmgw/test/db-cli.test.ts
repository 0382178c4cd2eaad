import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// Resolved here because the child runs in a temp dir where a bare `--import tsx` would not resolve.
const tsx = import.meta.resolve('tsx');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function llmgw(args: string[], options: { cwd: string; databaseUrl?: string }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', tsx, main, ...args],
      { cwd: options.cwd, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('llmgw db migrate', () => {
  let cwd: string;
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'llmgw-cli-'));
    testDatabase = await createTestDatabase();
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
    await testDatabase.drop();
  });

  it('creates the embedded database under data/ and migrates it, then reports it up to date', async () => {
    const first = await llmgw(['db', 'migrate'], { cwd });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^applied \d+ migrations? to embedded database .*data\/pglite\n$/);
    expect(existsSync(join(cwd, 'data', 'pglite', 'PG_VERSION'))).toBe(true);

    const second = await llmgw(['db', 'migrate'], { cwd });
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/^already up to date/);
    // The first start of PGlite runs initdb: seconds on an idle machine, more under a parallel test run.
  }, 90_000);

  it('migrates the PostgreSQL named by DATABASE_URL, then reports it up to date', async () => {
    const first = await llmgw(['db', 'migrate'], { cwd, databaseUrl: testDatabase.url });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^applied \d+ migrations? to PostgreSQL postgres:\/\//);

    const second = await llmgw(['db', 'migrate'], { cwd, databaseUrl: testDatabase.url });
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/^already up to date \(PostgreSQL/);
  });

  it('says which server it cannot reach, without a stack trace or the password, and exits 1', async () => {
    const result = await llmgw(['db', 'migrate'], {
      cwd,
      databaseUrl: 'postgres://postgres:hunter2@127.0.0.1:1/x',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^llmgw: cannot reach PostgreSQL at 127\.0\.0\.1:1\/x .*connection refused/,
    );
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('explains itself to a newcomer in --help', async () => {
    const result = await llmgw(['db', 'migrate', '--help'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DATABASE_URL');
    expect(result.stdout).toContain('--data-dir');
    expect(result.stdout).toContain('data/');
  });
});

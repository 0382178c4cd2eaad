import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { maskKey } from '@llmgw/core';
import { createDatabase, type Database, listTriples, type TripleView } from '@llmgw/db';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { type LlmgwProcess, spawnLlmgw } from './spawn-llmgw.js';

/** Generous on purpose: these tests start several tsx processes on a loaded two-core machine. */
export const LINE_TIMEOUT_MS = 20_000;

/** A pino JSON line, parsed; `undefined` for anything else (a stray non-JSON line). */
export interface LogLine {
  level?: number;
  time?: number;
  msg?: string;
  event?: string;
  [field: string]: unknown;
}

export function parseLine(line: string): LogLine | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** Matches a log line by its `event` field (the keeper's structured events). */
export const isEvent =
  (event: string) =>
  (line: string): boolean =>
    parseLine(line)?.event === event;

/** Matches a log line by its message. */
export const isMessage =
  (msg: string) =>
  (line: string): boolean =>
    parseLine(line)?.msg === msg;

export function countEvents(process: LlmgwProcess, event: string): number {
  return process.lines().filter(isEvent(event)).length;
}

/**
 * What every process-level keeper test leaks on purpose into one place, so a file's last test can
 * prove no secret was ever written to a log: every key used and every line every process printed.
 */
export interface SecretLedger {
  secrets: string[];
  /** Pieces of keys (a key broken across a malformed line) that must not be quoted back either. */
  fragments: string[];
  /** Output captured outside spawnLlmgw (one-shot CLI runs). */
  extraOutput: string[];
  processes: LlmgwProcess[];
}

export function createSecretLedger(): SecretLedger {
  return { secrets: [], fragments: [], extraOutput: [], processes: [] };
}

/**
 * A distinctive secret with a behaviour prefix the fake upstream understands (`test-429-` …). The
 * random body is what a leak scan looks for, so even a truncated key in a log line is caught.
 */
export function newSecret(ledger: SecretLedger, prefix: string): string {
  // Ends in a counter so each key's mask (`test-…0007`) is unique and finds its triples.
  const serial = String(ledger.secrets.length + 1).padStart(4, '0');
  const secret = `${prefix}SECRET${randomBytes(8).toString('hex')}${serial}`;
  ledger.secrets.push(secret);
  return secret;
}

/** Every (secret fragment, line) pair where a key shows up in captured output. */
export function findLeaks(ledger: SecretLedger): string[] {
  const output = [...ledger.processes.flatMap((process) => process.lines()), ...ledger.extraOutput];
  const leaks: string[] = [];
  for (const secret of ledger.secrets) {
    // The body after the behaviour prefix: unique per key, and present in any partial quote of it.
    const body = secret.slice(secret.indexOf('SECRET'), -4);
    for (const line of output) {
      if (line.includes(secret) || line.includes(body)) leaks.push(`${maskKey(secret)}: ${line}`);
    }
  }
  for (const fragment of ledger.fragments) {
    for (const line of output)
      if (line.includes(fragment)) leaks.push(`fragment ${maskKey(fragment)}: ${line}`);
  }
  return leaks;
}

export interface KeeperWorld {
  cwd: string;
  databaseUrl: string;
  upstream: TestUpstream;
  /** Writes (or rewrites) `keys/<relative path>` with one key per line. */
  writeKeys(relativePath: string, lines: readonly string[]): void;
  removeKeys(relativePath: string): void;
  /** Starts `llmgw worker` in the world's directory against its database. */
  startWorker(): LlmgwProcess;
  /** The pool as the database sees it (removed triples included). */
  triples(): Promise<TripleView[]>;
  /** A raw query on the world's database, from the test process. */
  query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]>;
  /** The triples of one secret, found by its mask (each test's secrets have distinct endings). */
  triplesOf(rows: readonly TripleView[], secret: string): TripleView[];
  /** Kills every worker still running (SIGKILL) and waits for it to be gone. */
  killWorkers(): Promise<void>;
  close(): Promise<void>;
}

export const MODELS = ['gpt-4o-mini', 'gpt-4o'] as const;

function providersYaml(upstreamUrl: string): string {
  return [
    'providers:',
    '  mock:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    `    models: [${MODELS.join(', ')}]`,
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ].join('\n');
}

/**
 * One temp directory with config/ and keys/, a fake upstream in this process, and a database the
 * caller owns (a fresh one from `createTestDatabase()` or a private server's); workers are real
 * `llmgw worker` child processes.
 */
export async function createKeeperWorld(ledger: SecretLedger, databaseUrl: string): Promise<KeeperWorld> {
  const upstream = await createTestUpstream();
  const cwd = mkdtempSync(join(tmpdir(), 'llmgw-keeper-'));
  mkdirSync(join(cwd, 'config'));
  mkdirSync(join(cwd, 'keys'));
  writeFileSync(join(cwd, 'config', 'providers.yaml'), providersYaml(upstream.url));
  const workers: LlmgwProcess[] = [];
  let reader: Database | null = null;

  const killWorkers = async () => {
    await Promise.all(
      workers.map(async (worker) => {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.kill('SIGKILL');
        await worker.exited;
      }),
    );
  };

  const writeKeys = (relativePath: string, lines: readonly string[]) => {
    const file = join(cwd, 'keys', relativePath);
    mkdirSync(dirname(file), { recursive: true });
    // Write-then-rename would be atomic, but operators edit in place; the keeper must cope.
    writeFileSync(file, `${lines.join('\n')}\n`);
  };

  return {
    cwd,
    databaseUrl,
    upstream,
    writeKeys,
    removeKeys: (relativePath) => rmSync(join(cwd, 'keys', relativePath), { force: true }),
    startWorker() {
      const worker = spawnLlmgw(['worker'], { cwd, env: { DATABASE_URL: databaseUrl } });
      workers.push(worker);
      ledger.processes.push(worker);
      return worker;
    },
    async triples() {
      reader ??= await createDatabase({ url: databaseUrl });
      return listTriples(reader.db, { includeRemoved: true });
    },
    async query<Row extends Record<string, unknown>>(sql: string) {
      reader ??= await createDatabase({ url: databaseUrl });
      return reader.query<Row>(sql);
    },
    triplesOf: (rows, secret) => rows.filter((row) => row.keyMask === maskKey(secret)),
    killWorkers,
    async close() {
      await killWorkers();
      await reader?.close().catch(() => undefined);
      reader = null;
      await upstream.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskKey } from '@llmgw/core';
import { createDatabase, type Database, listTriples, type TripleView } from '@llmgw/db';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import OpenAI from 'openai';
import { isMessage, parseLine, type SecretLedger } from './keeper-world.js';
import { eventually, type LlmgwProcess, spawnLlmgw } from './spawn-llmgw.js';

export const MODEL = 'gpt-4o-mini';

/** A tsx process may take this long to boot while other test files load the two cores. */
export const BOOT_TIMEOUT_MS = 45_000;
/** For a beforeAll that boots a keeper and gateways and waits for the keys to be probed. */
export const SETUP_TIMEOUT_MS = 120_000;

/** What a test may change in config/providers.yaml; everything else is the built-in default. */
export interface ConductorConfig {
  models?: readonly string[];
  /** `providers.mock.limits` */
  limits?: { rpm?: number; concurrency?: number };
  /** `models:` groups, name → ordered `provider/model` list. */
  groups?: Record<string, readonly string[]>;
  /** Extra lines under `gateway:` (already indented by the caller's keys, e.g. `lease_ttl: 3s`). */
  gateway?: Record<string, string | number>;
  /** `gateway.queue.max_wait` */
  queueMaxWait?: string;
}

function providersYaml(upstreamUrl: string, config: ConductorConfig): string {
  const models = config.models ?? [MODEL];
  const lines = [
    'providers:',
    '  mock:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    `    models: [${models.join(', ')}]`,
  ];
  if (config.limits) {
    const parts = Object.entries(config.limits).map(([kind, value]) => `${kind}: ${value}`);
    lines.push(`    limits: { ${parts.join(', ')} }`);
  }
  if (config.groups) {
    lines.push('models:');
    for (const [name, entries] of Object.entries(config.groups)) {
      lines.push(`  ${name}:`, ...entries.map((entry) => `    - ${entry}`));
    }
  }
  // Port 0: every gateway (and every replica of one world) gets a free port, read from its log.
  lines.push('gateway:', '  port: 0');
  for (const [key, value] of Object.entries(config.gateway ?? {})) lines.push(`  ${key}: ${value}`);
  if (config.queueMaxWait) lines.push('  queue:', `    max_wait: ${config.queueMaxWait}`);
  lines.push('keeper:', '  probe:', '    schedule: "* * * * * *"', '    jitter: 0s', '');
  return lines.join('\n');
}

export interface Gateway {
  process: LlmgwProcess;
  url: string;
  /** The official SDK pointed at this gateway, never retrying on its own. */
  client: OpenAI;
}

export interface ConductorWorld {
  cwd: string;
  databaseUrl: string;
  upstream: TestUpstream;
  writeKeys(lines: readonly string[]): void;
  startWorker(): LlmgwProcess;
  /** Starts `llmgw gateway` and resolves once it listens. */
  startGateway(): Promise<Gateway>;
  /** Starts any long-running command in the world's directory (e.g. `start` without DATABASE_URL). */
  spawn(args: readonly string[], env: Record<string, string>): LlmgwProcess;
  triples(): Promise<TripleView[]>;
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Waits until every secret has one triple per model and all of them are `active`; returns key ids. */
  activeKeys(secrets: readonly string[], timeoutMs?: number): Promise<Map<string, number>>;
  /** Waits until the gateway's own view of the pool (GET /v1/models) offers `provider/model`. */
  servable(gateway: Gateway, model: string, timeoutMs?: number): Promise<void>;
  /** SIGKILLs every child still running and waits for it. */
  killAll(): Promise<void>;
  close(): Promise<void>;
}

export async function createConductorWorld(
  ledger: SecretLedger,
  databaseUrl: string,
  config: ConductorConfig = {},
): Promise<ConductorWorld> {
  const upstream = await createTestUpstream();
  const cwd = mkdtempSync(join(tmpdir(), 'llmgw-conductor-'));
  mkdirSync(join(cwd, 'config'));
  mkdirSync(join(cwd, 'keys'));
  writeFileSync(join(cwd, 'config', 'providers.yaml'), providersYaml(upstream.url, config));
  const models = config.models ?? [MODEL];
  const children: LlmgwProcess[] = [];
  let reader: Database | null = null;

  const spawn = (args: readonly string[], env: Record<string, string>) => {
    const child = spawnLlmgw(args, { cwd, env });
    children.push(child);
    ledger.processes.push(child);
    return child;
  };
  const openReader = async () => {
    reader ??= await createDatabase({ url: databaseUrl });
    return reader;
  };
  const killAll = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.child.exitCode === null && child.child.signalCode === null) child.kill('SIGKILL');
        await child.exited;
      }),
    );
  };

  const world: ConductorWorld = {
    cwd,
    databaseUrl,
    upstream,
    writeKeys: (lines) => writeFileSync(join(cwd, 'keys', 'mock.txt'), `${lines.join('\n')}\n`),
    startWorker: () => spawn(['worker'], { DATABASE_URL: databaseUrl }),
    async startGateway() {
      const child = spawn(['gateway'], { DATABASE_URL: databaseUrl });
      return gatewayOf(child);
    },
    spawn,
    async triples() {
      return listTriples((await openReader()).db, { includeRemoved: true });
    },
    async query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      return (await openReader()).query<Row>(sql, params);
    },
    async activeKeys(secrets, timeoutMs = BOOT_TIMEOUT_MS) {
      return eventually(
        async () => {
          const rows = await world.triples();
          const ids = new Map<string, number>();
          for (const secret of secrets) {
            const mine = rows.filter((row) => row.keyMask === maskKey(secret));
            if (mine.length !== models.length || mine.some((row) => row.state !== 'active')) return undefined;
            ids.set(secret, mine[0]?.keyId ?? -1);
          }
          return ids;
        },
        timeoutMs,
        'every key synced and probed active',
      );
    },
    async servable(gateway, model, timeoutMs = 15_000) {
      await eventually(
        async () => {
          const list = await gateway.client.models.list();
          return list.data.some((entry) => entry.id === `mock/${model}`) ? true : undefined;
        },
        timeoutMs,
        `mock/${model} servable by ${gateway.url}`,
      );
    },
    killAll,
    async close() {
      await killAll();
      await reader?.close().catch(() => undefined);
      reader = null;
      await upstream.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
  return world;
}

/** Waits for a gateway process (`gateway` or `start`) to listen and builds an SDK client for it. */
export async function gatewayOf(child: LlmgwProcess): Promise<Gateway> {
  const line = await child.waitForLine(isMessage('conductor listening'), BOOT_TIMEOUT_MS);
  const url = parseLine(line)?.url;
  if (typeof url !== 'string') throw new Error(`no url in: ${line}`);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
  return { process: child, url, client };
}

/** Stops a child with SIGTERM and returns its exit code, or a note when it is still running. */
export async function stopWithin(child: LlmgwProcess, timeoutMs: number): Promise<number | string> {
  child.kill('SIGTERM');
  return Promise.race([
    child.exited,
    new Promise<string>((resolve) =>
      setTimeout(() => resolve(`still running after ${timeoutMs} ms`), timeoutMs),
    ),
  ]);
}

/** `provider:keyId:word` entries of an `x-llm-attempt-trail` header. */
export function parseTrail(header: string | null): { provider: string; keyId: number; word: string }[] {
  if (!header) return [];
  return header.split(',').map((entry) => {
    const [provider = '', keyId = '', word = ''] = entry.split(':');
    return { provider, keyId: Number(keyId), word };
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

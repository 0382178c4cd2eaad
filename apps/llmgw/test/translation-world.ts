import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskKey } from '@llmgw/core';
import { createDatabase, type Database, listTriples, type TripleView } from '@llmgw/db';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import OpenAI from 'openai';
import type { Gateway } from './conductor-world.js';
import { isMessage, newSecret, parseLine, type SecretLedger } from './keeper-world.js';
import { eventually, type LlmgwProcess, spawnLlmgw } from './spawn-llmgw.js';

/** One configured provider of each type, all aimed at the one fake upstream, by the name tests pin. */
export const PROVIDERS = {
  oai: { type: 'openai_like', model: 'gpt-4o-mini' },
  gem: { type: 'gemini', model: 'gemini-2.0-flash' },
  claude: { type: 'anthropic', model: 'claude-3-5-haiku-20241022' },
  giga: { type: 'gigachat', model: 'GigaChat' },
  /** Gemini again, with `drop_unsupported: true`. */
  gemdrop: { type: 'gemini', model: 'gemini-2.0-flash' },
} as const;

export type ProviderName = keyof typeof PROVIDERS;

function providerLines(name: ProviderName, upstreamUrl: string): string[] {
  const { type, model } = PROVIDERS[name];
  // No limits: the built-in free-tier limits of known model names would pace these tests.
  const lines = [
    `  ${name}:`,
    `    type: ${type}`,
    `    models: { ${model}: { limits: { rpm: null, rpd: null, tpm: null } } }`,
    '    limits: { rpm: null, rpd: null, tpm: null }',
  ];
  switch (type) {
    case 'openai_like':
      return [...lines, `    base_url: ${upstreamUrl}/v1`];
    case 'gemini':
      return [
        ...lines,
        `    base_url: ${upstreamUrl}/v1beta`,
        '    auth: x-goog-api-key',
        ...(name === 'gemdrop' ? ['    drop_unsupported: true'] : []),
      ];
    case 'anthropic':
      return [...lines, `    base_url: ${upstreamUrl}/v1`, '    auth: x-api-key'];
    case 'gigachat':
      return [
        ...lines,
        `    base_url: ${upstreamUrl}/api/v1`,
        '    auth: oauth',
        `    oauth: { url: ${upstreamUrl}/api/v2/oauth, scope: GIGACHAT_API_PERS }`,
      ];
  }
}

export interface TranslationWorld {
  upstream: TestUpstream;
  gateway: Gateway;
  /** The one key of each provider. */
  secrets: Record<ProviderName, string>;
  triples(): Promise<TripleView[]>;
  /** The triples of one key, found by its mask. */
  triplesOf(name: ProviderName): Promise<TripleView[]>;
  close(): Promise<void>;
}

/**
 * A keeper and a gateway (real `llmgw` child processes) over a real database, with every provider
 * type configured against one fake upstream and one `test-ok-` key each, all probed active.
 */
export async function createTranslationWorld(
  ledger: SecretLedger,
  databaseUrl: string,
  bootTimeoutMs: number,
): Promise<TranslationWorld> {
  const upstream = await createTestUpstream();
  const cwd = mkdtempSync(join(tmpdir(), 'llmgw-translation-'));
  mkdirSync(join(cwd, 'config'));
  mkdirSync(join(cwd, 'keys'));
  const names = Object.keys(PROVIDERS) as ProviderName[];
  const yaml = [
    'providers:',
    ...names.flatMap((name) => providerLines(name, upstream.url)),
    'gateway:',
    '  port: 0',
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ];
  writeFileSync(join(cwd, 'config', 'providers.yaml'), yaml.join('\n'));
  const secrets = {} as Record<ProviderName, string>;
  for (const name of names) {
    secrets[name] = newSecret(ledger, 'test-ok-');
    writeFileSync(join(cwd, 'keys', `${name}.txt`), `${secrets[name]}\n`);
  }
  const children: LlmgwProcess[] = [];
  const spawn = (args: string[]) => {
    const child = spawnLlmgw(args, { cwd, env: { DATABASE_URL: databaseUrl } });
    children.push(child);
    ledger.processes.push(child);
    return child;
  };
  let reader: Database | null = null;
  const triples = async () => {
    reader ??= await createDatabase({ url: databaseUrl });
    return listTriples(reader.db, { includeRemoved: true });
  };
  const close = async () => {
    for (const child of children) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.kill('SIGKILL');
      await child.exited;
    }
    await reader?.close().catch(() => undefined);
    await upstream.close();
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    spawn(['worker']);
    const gateway = await gatewayOf(spawn(['gateway']), bootTimeoutMs);
    await eventually(
      async () => {
        const rows = await triples();
        const active = names.every((name) =>
          rows.some((row) => row.keyMask === maskKey(secrets[name]) && row.state === 'active'),
        );
        return active ? true : undefined;
      },
      bootTimeoutMs,
      'every provider key probed active',
    );
    await eventually(
      async () => {
        const list = await gateway.client.models.list();
        const ids = new Set(list.data.map((entry) => entry.id));
        return names.every((name) => ids.has(`${name}/${PROVIDERS[name].model}`)) ? true : undefined;
      },
      bootTimeoutMs,
      'every provider servable',
    );
    return {
      upstream,
      gateway,
      secrets,
      triples,
      async triplesOf(name) {
        return (await triples()).filter((row) => row.keyMask === maskKey(secrets[name]));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `provider/model` as a client pins it. */
export function modelOf(name: ProviderName): string {
  return `${name}/${PROVIDERS[name].model}`;
}

/** Like conductor-world's, with the caller's boot timeout: two children boot at once on a loaded machine. */
async function gatewayOf(child: LlmgwProcess, timeoutMs: number): Promise<Gateway> {
  const line = await child.waitForLine(isMessage('conductor listening'), timeoutMs);
  const url = parseLine(line)?.url;
  if (typeof url !== 'string') throw new Error(`no url in: ${line}`);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  return { process: child, url, client };
}

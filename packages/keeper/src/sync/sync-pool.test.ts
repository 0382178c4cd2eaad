import { fingerprintKey, maskKey } from '@llmgw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, createSyncFixture, fakeKeys, type SyncFixture } from './sync-fixture.js';
import { syncPool } from './sync-pool.js';

const CONFIG: ConfigInput = {
  providers: {
    groq: { models: ['llama-a', 'llama-b'] },
    gemini: { models: ['gemini-flash'] },
  },
};

const GROQ = fakeKeys('gsk_', 3);
const GEMINI = fakeKeys('AIza', 3);
const allSecrets = [...GROQ, ...GEMINI];

interface KeyRow extends Record<string, unknown> {
  id: string;
  fingerprint: string;
  mask: string;
  source_file: string;
  source_line: number;
  bucket: string | null;
  removed: boolean;
}

async function keyRows(fixture: SyncFixture, provider: string): Promise<KeyRow[]> {
  return fixture.query<KeyRow>(
    `select k.id::text as id, k.fingerprint, k.mask, k.source_file, k.source_line, b.name as bucket,
            k.removed_at is not null as removed
     from keys k left join quota_buckets b on b.id = k.bucket_id
     where k.provider = $1 order by k.source_file, k.source_line`,
    [provider],
  );
}

async function tripleStates(fixture: SyncFixture, provider: string): Promise<Record<string, number>> {
  const rows = await fixture.query<{ state: string; n: number }>(
    'select state, count(*)::int as n from triples where provider = $1 group by state',
    [provider],
  );
  return Object.fromEntries(rows.map(({ state, n }) => [state, n]));
}

function expectNoSecretLogged(fixture: SyncFixture, secrets: readonly string[]) {
  const text = fixture.logs.join('\n');
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe.each(['postgres', 'pglite'] as const)('syncPool on %s', (driver) => {
  let fixture: SyncFixture;
  beforeEach(async () => {
    fixture = await createSyncFixture(driver, CONFIG);
  });
  afterEach(async () => {
    expectNoSecretLogged(fixture, allSecrets);
    await fixture.dispose();
  });

  it('loads provider files and folders with fingerprint, mask, source and bucket; triples are keys × models', async () => {
    await fixture.write('keys/groq.txt', `# groq\n${GROQ[0]}\n\n${GROQ[1]}\n`);
    await fixture.write('keys/gemini/project-a.txt', `${GEMINI[0]}\n${GEMINI[1]} # bucket=shared\n`);
    await fixture.write('keys/gemini/project-b.txt', `${GEMINI[2]}\n`);

    const report = await syncPool(fixture.deps);

    expect(report.keys).toMatchObject({ live: 5, added: 5, removed: 0 });
    expect(report.triples.added).toBe(2 * 2 + 3 * 1);
    const groq = await keyRows(fixture, 'groq');
    expect(
      groq.map(({ fingerprint, mask, source_file, source_line, bucket }) => ({
        fingerprint,
        mask,
        source_file,
        source_line,
        bucket,
      })),
    ).toEqual([
      {
        fingerprint: fingerprintKey(GROQ[0] ?? ''),
        mask: maskKey(GROQ[0] ?? ''),
        source_file: 'groq.txt',
        source_line: 2,
        bucket: null,
      },
      {
        fingerprint: fingerprintKey(GROQ[1] ?? ''),
        mask: maskKey(GROQ[1] ?? ''),
        source_file: 'groq.txt',
        source_line: 4,
        bucket: null,
      },
    ]);
    expect(
      (await keyRows(fixture, 'gemini')).map(({ source_file, bucket }) => [source_file, bucket]),
    ).toEqual([
      ['gemini/project-a.txt', 'project-a'],
      ['gemini/project-a.txt', 'shared'],
      ['gemini/project-b.txt', 'project-b'],
    ]);
    const triples = await fixture.query<{ provider: string; model: string; state: string; due: boolean }>(
      `select provider, model, state, next_probe_at <= now() as due from triples order by provider, model`,
    );
    expect(triples.filter((row) => row.provider === 'groq').map((row) => row.model)).toEqual([
      'llama-a',
      'llama-a',
      'llama-b',
      'llama-b',
    ]);
    expect(triples.every((row) => row.state === 'untested' && row.due)).toBe(true);
    const providers = await fixture.query('select name, type, enabled from providers order by name');
    expect(providers).toEqual([
      { name: 'gemini', type: 'gemini', enabled: true },
      { name: 'groq', type: 'openai_like', enabled: true },
    ]);
  });

  it('puts keys of a flat file in a bucket only by `# bucket=`, and moves a key between buckets as its line changes', async () => {
    await fixture.write(
      'keys/groq.txt',
      `${GROQ[0]}\n${GROQ[1]} # bucket=org-1\n${GROQ[2]} # bucket=org-1\n`,
    );
    await syncPool(fixture.deps);
    expect((await keyRows(fixture, 'groq')).map(({ bucket }) => bucket)).toEqual([null, 'org-1', 'org-1']);
    const buckets = await fixture.query<{ n: number }>(
      `select count(*)::int as n from quota_buckets where provider = 'groq'`,
    );
    expect(buckets[0]?.n).toBe(1);

    await fixture.write(
      'keys/groq.txt',
      `${GROQ[0]} # bucket=org-2\n${GROQ[1]}\n${GROQ[2]} # bucket=org-1\n`,
    );
    await syncPool(fixture.deps);
    expect((await keyRows(fixture, 'groq')).map(({ bucket }) => bucket)).toEqual(['org-2', null, 'org-1']);
  });

  it('gives each key its own quota under `quota_buckets: per_key`, except an explicit `# bucket=`', async () => {
    fixture.setConfig({
      providers: {
        groq: { models: ['llama-a', 'llama-b'] },
        gemini: { models: ['gemini-flash'], quota_buckets: 'per_key' },
      },
    });
    await fixture.write('keys/gemini/project-a.txt', `${GEMINI[0]}\n${GEMINI[1]} # bucket=shared\n`);
    await syncPool(fixture.deps);
    expect((await keyRows(fixture, 'gemini')).map(({ bucket }) => bucket)).toEqual([null, 'shared']);
  });

  it('adds, replaces and removes keys as files change, keeping removed history, and restores a key that returns', async () => {
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n${GROQ[1]}\n`);
    await syncPool(fixture.deps);
    const [first] = await keyRows(fixture, 'groq');

    // Edit: the second key is replaced by a third.
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n${GROQ[2]}\n`);
    const edited = await syncPool(fixture.deps);
    expect(edited.keys).toMatchObject({ added: 1, removed: 1, restored: 0 });
    expect(edited.triples).toMatchObject({ added: 2, removed: 2 });
    expect(await tripleStates(fixture, 'groq')).toEqual({ untested: 4, removed: 2 });

    // Delete the file: every groq key is removed, its rows and triples stay.
    await fixture.remove('keys/groq.txt');
    const deleted = await syncPool(fixture.deps);
    expect(deleted.keys.removed).toBe(2);
    expect((await keyRows(fixture, 'groq')).every((row) => row.removed)).toBe(true);
    expect(await tripleStates(fixture, 'groq')).toEqual({ removed: 6 });
    const audit = await fixture.query<{ scope: string; reason: string; to_state: string; key_id: string }>(
      `select scope, reason, to_state, key_id::text as key_id from state_changes where key_id = $1 order by id`,
      [first?.id],
    );
    expect(audit).toEqual([
      { scope: 'key', reason: 'key_removed', to_state: 'removed', key_id: first?.id },
      { scope: 'key', reason: 'key_removed', to_state: 'removed', key_id: first?.id },
    ]);

    // Mark the returning key's triples dead first: coming back must give it a clean slate.
    await fixture.query(
      `update triples set reason = 'invalid_key', consecutive_failures = 5 where key_id = $1`,
      [first?.id],
    );
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n`);
    const restored = await syncPool(fixture.deps);
    expect(restored.keys).toMatchObject({ restored: 1, added: 0 });
    expect(restored.triples.restored).toBe(2);
    const back = await fixture.query<{ state: string; reason: string | null; consecutive_failures: number }>(
      'select state, reason, consecutive_failures from triples where key_id = $1',
      [first?.id],
    );
    expect(back).toEqual([
      { state: 'untested', reason: null, consecutive_failures: 0 },
      { state: 'untested', reason: null, consecutive_failures: 0 },
    ]);
    expect((await keyRows(fixture, 'groq')).filter((row) => !row.removed).map((row) => row.id)).toEqual([
      first?.id,
    ]);
  });

  it('writes nothing when nothing changed', async () => {
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n${GROQ[1]}\n`);
    await syncPool(fixture.deps);
    const again = await syncPool(fixture.deps);
    expect(again.keys).toEqual({ live: 2, added: 0, updated: 0, removed: 0, restored: 0, repinned: 0 });
    expect(again.triples).toEqual({ added: 0, removed: 0, restored: 0 });
  });
});

describe('syncPool file problems', () => {
  let fixture: SyncFixture;
  beforeEach(async () => {
    fixture = await createSyncFixture('postgres', CONFIG);
  });
  afterEach(async () => {
    expectNoSecretLogged(fixture, allSecrets);
    await fixture.dispose();
  });

  it('reports malformed lines with file:line, skips them and loads the rest', async () => {
    await fixture.write('keys/groq.txt', `${GROQ[0]}\ngsk bad key with spaces\nshort\n${GROQ[1]}\n`);
    await fixture.write('proxies/eu.txt', '10.0.0.1:3128\nsocks5://10.0.0.2:1080\n');
    const report = await syncPool(fixture.deps);
    expect(report.keys.added).toBe(2);
    expect(report.proxies.added).toBe(1);
    expect(report.malformed.map(({ file, line }) => `${file}:${line}`)).toEqual([
      'keys/groq.txt:2',
      'keys/groq.txt:3',
      'proxies/eu.txt:2',
    ]);
    const lines = fixture.logs.map((line) => JSON.parse(line) as { msg: string });
    expect(lines.some(({ msg }) => msg.startsWith('keys/groq.txt:2: '))).toBe(true);
    expect(fixture.logs.join('\n')).not.toContain('gsk bad key');
  });

  it('never removes the keys of a provider whose file is unreadable', async () => {
    await fixture.write('keys/gemini/project-a.txt', `${GEMINI[0]}\n`);
    await fixture.write('keys/gemini/project-b.txt', `${GEMINI[1]}\n`);
    await syncPool(fixture.deps);
    // Tests run as root, who reads anything: a folder named like a key file is unreadable for everyone.
    await fixture.remove('keys/gemini/project-b.txt');
    await fixture.write('keys/gemini/project-b.txt/placeholder', '');
    const report = await syncPool(fixture.deps);
    expect(report.unreadable).toEqual([{ file: 'keys/gemini/project-b.txt', code: 'EISDIR' }]);
    expect(report.keys.removed).toBe(0);
    expect((await keyRows(fixture, 'gemini')).map((row) => row.removed)).toEqual([false, false]);
    expect(await tripleStates(fixture, 'gemini')).toEqual({ untested: 2 });
    expect(fixture.logs.some((line) => line.includes('keys/gemini/project-b.txt: unreadable'))).toBe(true);
  });

  it('keeps every key when the keys folder is missing', async () => {
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n`);
    await syncPool(fixture.deps);
    await fixture.remove('keys');
    const report = await syncPool(fixture.deps);
    expect(report.keys.removed).toBe(0);
    expect(report.warnings.join('\n')).toContain('does not exist');
  });

  it('skips keys of providers missing from the config with one warning naming file and count', async () => {
    await fixture.write('keys/mystery.txt', `${GROQ[0]}\n${GROQ[1]}\n`);
    const report = await syncPool(fixture.deps);
    expect(report.unknownProviders).toEqual([{ provider: 'mystery', files: ['keys/mystery.txt'], keys: 2 }]);
    expect(await fixture.query('select id from keys')).toEqual([]);
    const warnings = fixture.logs.filter((line) => line.includes('mystery'));
    expect(warnings).toHaveLength(1);
  });
});

describe('syncPool and the config', () => {
  let fixture: SyncFixture;
  afterEach(async () => {
    expectNoSecretLogged(fixture, allSecrets);
    await fixture.dispose();
  });

  it('removes triples of a model dropped from the config and brings them back when it returns', async () => {
    fixture = await createSyncFixture('postgres', CONFIG);
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n`);
    await syncPool(fixture.deps);
    fixture.setConfig({ providers: { groq: { models: ['llama-a'] }, gemini: { models: ['gemini-flash'] } } });
    expect((await syncPool(fixture.deps)).triples.removed).toBe(1);
    const audit = await fixture.query('select scope, reason from state_changes');
    expect(audit).toEqual([{ scope: 'triple', reason: 'model_removed' }]);
    fixture.setConfig(CONFIG);
    expect((await syncPool(fixture.deps)).triples).toMatchObject({ restored: 1, added: 0 });
    expect(await tripleStates(fixture, 'groq')).toEqual({ untested: 2 });
  });

  it('syncs keys of a disabled provider without giving it triples, and disables providers left out of the config', async () => {
    fixture = await createSyncFixture('postgres', {
      providers: { groq: { models: ['llama-a'], enabled: false }, gemini: { models: ['gemini-flash'] } },
    });
    await fixture.write('keys/groq.txt', `${GROQ[0]}\n`);
    const report = await syncPool(fixture.deps);
    expect(report.keys.added).toBe(1);
    expect(report.triples.added).toBe(0);
    expect(await fixture.query('select enabled from providers where name = $1', ['groq'])).toEqual([
      { enabled: false },
    ]);
    fixture.setConfig({ providers: { groq: { models: ['llama-a'] } } });
    await syncPool(fixture.deps);
    expect(await tripleStates(fixture, 'groq')).toEqual({ untested: 1 });
    expect(await fixture.query('select enabled from providers where name = $1', ['gemini'])).toEqual([
      { enabled: false },
    ]);
  });

  it('gives a keyless provider one key to hang its triples on', async () => {
    fixture = await createSyncFixture('postgres', { providers: { ollama: { models: ['llama3', 'qwen'] } } });
    const report = await syncPool(fixture.deps);
    expect(report.keys.added).toBe(1);
    expect(await tripleStates(fixture, 'ollama')).toEqual({ untested: 2 });
    expect((await syncPool(fixture.deps)).keys.added).toBe(0);
  });
});

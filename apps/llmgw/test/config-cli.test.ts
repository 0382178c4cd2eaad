// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in config text are the subject of these tests
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_NAMES } from '@llmgw/config';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from './run-cli.js';

const STACK_FRAME = /\n\s+at .+\(.*:\d+:\d+\)/;

function withFile(text: string): string {
  const dir = makeTempDir();
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'providers.yaml'), text);
  return dir;
}

describe('llmgw config validate', () => {
  it('reports every independent mistake with its path and line, and exits 1', async () => {
    const cwd = withFile(
      [
        'gateway:', //                               1
        '  prot: 9000', //                            2  typo
        'providers:', //                              3
        '  groq:', //                                 4
        '    limits:', //                             5
        '      rpm: -5', //                           6  not positive
        '  mygem:', //                                7
        '    template: gemini', //                    8
        '    proxy: pool:residential', //             9  no proxies/residential.txt
        '  weird:', //                               10
        '    type: openai_compat', //                11  unknown type
        '    base_url: http://localhost:1', //       12
        'models:', //                                13
        '  fast:', //                                14
        '    - groq/llama-3.1-8b-instant', //        15
        '    - nope/model', //                       16  unknown provider
        '    - groq/no-such-model', //               17  unknown model
        '',
      ].join('\n'),
    );
    mkdirSync(join(cwd, 'proxies'));
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(1);
    const out = run.stderr;
    expect(out).toContain('6 configuration problems');
    expect(out).toContain('config/providers.yaml:2 gateway.prot: unknown key "prot" (did you mean "port"?)');
    expect(out).toContain('config/providers.yaml:6 providers.groq.limits.rpm:');
    expect(out).toMatch(
      /config\/providers\.yaml:9 providers\.mygem\.proxy: proxy pool "residential" not found/,
    );
    expect(out).toMatch(
      /config\/providers\.yaml:11 providers\.weird\.type: unknown provider type "openai_compat"; known: openai_like/,
    );
    expect(out).toMatch(/config\/providers\.yaml:16 models\.fast\[1\]: unknown provider "nope"/);
    expect(out).toMatch(
      /config\/providers\.yaml:17 models\.fast\[2\]: provider "groq" has no model "no-such-model"/,
    );
    expect(out).not.toMatch(STACK_FRAME);
  });

  it('names the line and column of a YAML syntax error, without a stack trace', async () => {
    const cwd = withFile('providers:\n  groq:\n    limits: {rpm: 5\n  gemini: {}\n');
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/config\/providers\.yaml:\d+: invalid YAML: .*line \d+, column \d+/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('treats a missing file as a warning that says how to create one, and exits 0', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: config/providers.yaml: file not found');
    expect(run.stderr).toContain('llmgw config create');
    expect(run.stdout).toContain('OK config/providers.yaml: 0 providers');
  });

  it('treats an empty file as a warning and exits 0', async () => {
    const cwd = withFile('');
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('file is empty');
  });

  it('accepts the example config/providers.yaml shipped in the repo with no environment', async () => {
    const cwd = withFile(readFileSync(new URL('../../../config/providers.yaml', import.meta.url), 'utf8'));
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /OK config\/providers\.yaml: 5 providers \(3 enabled\), \d+ models, 1 model group/,
    );
  });

  it('reports the problems of offline packages with file, line and YAML path, beside the config ones', async () => {
    const cwd = withFile('gateway:\n  prot: 9000\n');
    mkdirSync(join(cwd, 'config', 'offline'));
    writeFileSync(
      join(cwd, 'config', 'offline', 'faq.yaml'),
      [
        'answers:', //                    1
        '  - match: hi', //               2
        '    anwser: typo', //            3  unknown key (and answer missing, line 2)
        '  - regex: "(unclosed"', //      4  invalid regex
        '    answer: x', //               5
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(cwd, 'config', 'offline', 'vectors.yml'),
      'embeddings:\n  - input: x\n    vector: [1, two]\n',
    );
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('config/providers.yaml: 1 configuration problem:');
    expect(run.stderr).toContain('config/providers.yaml:2 gateway.prot: unknown key "prot"');
    expect(run.stderr).toContain('config/offline: 4 offline package problems:');
    expect(run.stderr).toContain(
      'config/offline/faq.yaml:3 answers[0].anwser: unknown key "anwser" (did you mean "answer"?)',
    );
    expect(run.stderr).toMatch(
      /config\/offline\/faq\.yaml:4 answers\[1\]\.regex: invalid regular expression/,
    );
    expect(run.stderr).toMatch(/config\/offline\/vectors\.yml:3 embeddings\[0\]\.vector\[1\]: /);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });

  it('fails on a broken offline package even when the config itself is fine', async () => {
    const cwd = withFile('providers:\n  groq: {}\n');
    mkdirSync(join(cwd, 'config', 'offline'));
    writeFileSync(join(cwd, 'config', 'offline', 'bad.yaml'), 'answers:\n  - answer: no matcher\n');
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /config\/offline: 1 offline package problem:\n {2}config\/offline\/bad\.yaml:2 answers\[0\]: needs one of match, contains or regex/,
    );
    expect(run.stdout).toBe('');
  });

  it('summarises valid offline packages after the config', async () => {
    const cwd = withFile('providers:\n  groq: {}\n');
    mkdirSync(join(cwd, 'config', 'offline'));
    writeFileSync(
      join(cwd, 'config', 'offline', 'faq.yaml'),
      'answers:\n  - match: hi\n    answer: hello\nembeddings:\n  - input: x\n    vector: [1, 2]\n',
    );
    const run = await runCli(['config', 'validate'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OK config/offline: 1 package, 1 answer, 1 embedding');
  });

  it('reads ${VAR} from .env beside the config, the environment winning', async () => {
    const cwd = withFile(
      'providers:\n  vllm:\n    type: openai_like\n    base_url: ${VLLM_URL}\n    models: [m]\n',
    );
    writeFileSync(join(cwd, 'config', '.env'), 'VLLM_URL=http://from-dotenv:8000/v1\n');
    const fromDotenv = await runCli(['config', 'show', '--json'], { cwd });
    expect(fromDotenv.code).toBe(0);
    expect(JSON.parse(fromDotenv.stdout).providers.vllm.base_url).toBe('http://from-dotenv:8000/v1');
    const fromEnv = await runCli(['config', 'show', '--json'], {
      cwd,
      env: { VLLM_URL: 'http://from-env:1/v1' },
    });
    expect(JSON.parse(fromEnv.stdout).providers.vllm.base_url).toBe('http://from-env:1/v1');
  });
});

describe('llmgw config create', () => {
  // 25 CLI processes, each compiling TypeScript on start: slower than the default test timeout.
  it('adds every template, minimal and --full, into one file that validates', async () => {
    const cwd = makeTempDir();
    for (const template of TEMPLATE_NAMES) {
      const minimal = await runCli(['config', 'create', template], { cwd });
      expect(minimal.code, minimal.stderr).toBe(0);
      const full = await runCli(['config', 'create', '--full', `${template}:${template}-full`], { cwd });
      expect(full.code, full.stderr).toBe(0);
    }
    const text = readFileSync(join(cwd, 'config', 'providers.yaml'), 'utf8');
    for (const template of TEMPLATE_NAMES) {
      expect(text).toContain(`\n  ${template}: {}\n`);
      expect(text).toContain(`\n  ${template}-full:\n    # adapter: `);
    }
    expect(text).toMatch(/# how often a healthy triple is probed.*\n\s+interval_active: 15m/);
    const validate = await runCli(['config', 'validate'], { cwd });
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(`OK config/providers.yaml: ${TEMPLATE_NAMES.length * 2} providers`);
  }, 240_000);

  it("keeps the operator's comments and order, and refuses a duplicate name", async () => {
    const original = [
      '# my header',
      '',
      'gateway:',
      '  port: 9000 # my port',
      '',
      '# my providers',
      'providers:',
      '  deepseek: {} # cheap one',
      '',
      '# my groups',
      'models:',
      '  cheap: [deepseek/deepseek-chat]',
      '',
    ].join('\n');
    const cwd = withFile(original);
    const created = await runCli(['config', 'create', 'groq:fast'], { cwd });
    expect(created.code, created.stderr).toBe(0);
    const text = readFileSync(join(cwd, 'config', 'providers.yaml'), 'utf8');
    for (const comment of [
      '# my header',
      '  port: 9000 # my port',
      '# my providers',
      '  deepseek: {} # cheap one',
      '# my groups',
    ]) {
      expect(text).toContain(comment);
    }
    expect(text.indexOf('deepseek: {}')).toBeLessThan(text.indexOf('fast:'));
    expect(text.indexOf('fast:')).toBeLessThan(text.indexOf('# my groups'));
    expect(text).toMatch(/\n# my groups\nmodels:/);

    const duplicate = await runCli(['config', 'create', 'deepseek'], { cwd });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('provider "deepseek" already exists (config/providers.yaml:8)');
    expect(readFileSync(join(cwd, 'config', 'providers.yaml'), 'utf8')).toBe(text);
    expect((await runCli(['config', 'validate'], { cwd })).code).toBe(0);
  });

  it('creates the file with a header comment when it is missing', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['config', 'create', 'gemini:gem'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('created config/providers.yaml');
    const text = readFileSync(join(cwd, 'config', 'providers.yaml'), 'utf8');
    expect(text.startsWith('# llmgw provider configuration')).toBe(true);
  });

  it('lists the known types for an unknown one', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['config', 'create', 'openai_compat:x'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown provider type "openai_compat"');
    for (const known of ['groq', 'gemini', 'gigachat', 'anthropic', 'openai_like'])
      expect(run.stderr).toContain(known);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(join(cwd, 'config', 'providers.yaml'))).toBe(false);
  });

  it('gives a bare openai_like provider a base_url placeholder that validate names until it is set', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['config', 'create', 'openai_like:vllm'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VLLM_BASE_URL');
    const unset = await runCli(['config', 'validate'], { cwd });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/providers\.vllm\.base_url: environment variable VLLM_BASE_URL is not set/);
    const set = await runCli(['config', 'validate'], {
      cwd,
      env: { VLLM_BASE_URL: 'http://127.0.0.1:8000/v1' },
    });
    expect(set.code, set.stderr).toBe(0);
  });
});

describe('llmgw config show', () => {
  it('prints the merged config with every secret masked', async () => {
    const secrets = {
      token: 'client-token-0123456789abcdef',
      admin: 'admin-token-0123456789abcdef',
      proxyPassword: 'proxy-pass-9f8e7d',
      header: 'header-secret-5a4b3c2d1e',
      dbPassword: 'db-pass-1a2b3c4d',
      envToken: 'env-token-fedcba9876543210',
    };
    const cwd = withFile(
      [
        'gateway:',
        `  auth_tokens: [${secrets.token}]`,
        `  admin_tokens: [${secrets.admin}]`,
        'providers:',
        '  groq:',
        `    proxy: http://user:${secrets.proxyPassword}@proxy.example:3128`,
        '    headers:',
        `      Authorization: Bearer ${secrets.header}`,
        '',
      ].join('\n'),
    );
    const env = { DATABASE_URL: `postgres://llmgw:${secrets.dbPassword}@db.example:5432/llmgw` };
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
    ]) {
      const run = await runCli(args, { cwd, env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('llama-3.1-8b-instant');
      expect(run.stdout).toContain('db.example');
      for (const secret of Object.values(secrets)) expect(run.stdout).not.toContain(secret);
    }
    const fromEnv = await runCli(['config', 'show'], {
      cwd,
      env: { LLMGW_AUTH_TOKENS: `${secrets.envToken},other-token-123456789` },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).not.toContain(secrets.envToken);
  });

  it('refuses an invalid config with the same clear problems as validate', async () => {
    const cwd = withFile('providers:\n  x:\n    type: nope\n');
    const run = await runCli(['config', 'show'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('providers.x.type: unknown provider type "nope"');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('llmgw config --help', () => {
  it.each([['config'], ['config', 'create'], ['config', 'validate'], ['config', 'show']])(
    '%s explains itself with examples',
    async (...command) => {
      const run = await runCli([...command, '--help'], { cwd: makeTempDir() });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Examples:');
      expect(run.stdout).toContain('$ llmgw config');
    },
  );
});

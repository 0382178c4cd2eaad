// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in config text are the subject of these tests
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { buildConfig, checkConfig, checkConfigText, loadConfig } from './loader.js';
import { configSchema } from './schema.js';

const check = (text: string, env: Record<string, string> = {}, proxiesDir?: string) =>
  checkConfigText(text, { file: 'providers.yaml', env, ...(proxiesDir ? { proxiesDir } : {}) });

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'llmgw-config-'));
}

describe('loader', () => {
  it('turns a minimal patch into a complete config: defaults ← template ← patch', () => {
    const config = buildConfig({ providers: { groq: { limits: { rpd: 500 } } } });
    const groq = config.providers.groq;
    expect(groq?.type).toBe('openai_like');
    expect(groq?.template).toBe('groq');
    expect(groq?.base_url).toBe('https://api.groq.com/openai/v1');
    // the patch wins over the template; untouched template limits stay
    expect(groq?.limits).toEqual({ rpm: 30, rpd: 500, tpm: 6000, concurrency: null });
    // schema defaults fill what neither names, durations become milliseconds
    expect(groq?.health.interval_active).toBe(15 * 60_000);
    expect(groq?.health.breaker).toEqual({
      strategy: 'auto_recovery',
      failure_threshold: 3,
      open_base: 30_000,
      open_max: 1_800_000,
    });
    expect(config.gateway).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      body_limit: 10 * 1024 * 1024,
      mode: 'auto',
    });
    expect(config.keeper.probe.schedule).toBe('*/10 * * * * *');
    expect(config.keeper.maintenance.attempts_retention).toBe(7 * 24 * 3_600_000);
  });

  it('gives an empty patch the same result as parsing nothing with the schema', () => {
    expect(buildConfig({})).toEqual(configSchema.parse({}));
  });

  it('returns a deeply frozen config', () => {
    const config = buildConfig({ providers: { groq: {} } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.providers.groq?.limits)).toBe(true);
  });

  it('replaces the template model set with a list, and adjusts it with a map', () => {
    const listed = buildConfig({ providers: { groq: { models: ['only-this'] } } });
    expect(Object.keys(listed.providers.groq?.models ?? {})).toEqual(['only-this']);
    const mapped = buildConfig({
      providers: { groq: { models: { 'llama-3.1-8b-instant': { aliases: ['small'] }, extra: {} } } },
    });
    const models = mapped.providers.groq?.models ?? {};
    expect(Object.keys(models)).toEqual(['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'extra']);
    expect(models['llama-3.1-8b-instant']).toEqual({ limits: { rpd: 14400, tpm: 6000 }, aliases: ['small'] });
  });

  it('lets null lift a template limit', () => {
    const config = buildConfig({ providers: { groq: { limits: { rpm: null } } } });
    expect(config.providers.groq?.limits.rpm).toBeNull();
  });

  it('finds the template by `template`, by name, or by type', () => {
    const config = buildConfig({
      providers: { work: { template: 'gemini' }, gigachat: {}, mine: { type: 'anthropic' } },
    });
    expect(config.providers.work?.auth).toBe('x-goog-api-key');
    expect(config.providers.gigachat?.oauth?.scope).toBe('GIGACHAT_API_PERS');
    expect(config.providers.mine?.api_version).toBe('2023-06-01');
    expect(config.providers.mine?.max_tokens_default).toBe(4096);
  });

  it('substitutes ${VAR} and ${VAR:-default}, typing whole-value numbers', () => {
    const text = [
      'gateway:',
      '  port: ${PORT:-9001}',
      'providers:',
      '  vllm:',
      '    type: openai_like',
      '    base_url: http://${VLLM_HOST}:8000/v1',
      '    headers: {X-Literal: "$${NOT_A_VAR}"}',
      '    models: [m]',
    ].join('\n');
    const report = check(text, { VLLM_HOST: 'gpu-box' });
    expect(report.errors).toEqual([]);
    expect(report.config?.gateway.port).toBe(9001);
    expect(report.config?.providers.vllm?.base_url).toBe('http://gpu-box:8000/v1');
    expect(report.config?.providers.vllm?.headers).toEqual({ 'X-Literal': '${NOT_A_VAR}' });
  });

  it('reports an unset variable once, at its path and line', () => {
    const report = check(
      'providers:\n  vllm:\n    type: openai_like\n    base_url: ${MISSING_URL}\n    models: [m]\n',
    );
    expect(report.errors).toEqual([
      {
        path: 'providers.vllm.base_url',
        file: 'providers.yaml',
        line: 4,
        message: expect.stringContaining('environment variable MISSING_URL is not set'),
      },
    ]);
  });

  it('lets the documented environment variables override the file', () => {
    const report = check('gateway:\n  port: 9000\n  host: 127.0.0.1\nlogging:\n  level: info\n', {
      LLMGW_PORT: '7000',
      LLMGW_HOST: '0.0.0.0',
      LLMGW_AUTH_TOKENS: 'aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb',
      LLMGW_ADMIN_TOKENS: 'cccccccccccccccccccc',
      LLM_GATEWAY_MODE: 'offline',
      LOG_LEVEL: 'DEBUG',
      DATABASE_URL: 'postgres://db/llmgw',
    });
    expect(report.errors).toEqual([]);
    expect(report.config?.gateway).toMatchObject({
      port: 7000,
      host: '0.0.0.0',
      auth_tokens: ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb'],
      admin_tokens: ['cccccccccccccccccccc'],
      mode: 'offline',
    });
    expect(report.config?.logging.level).toBe('debug');
    expect(report.config?.database.url).toBe('postgres://db/llmgw');
  });

  it('reports a malformed environment variable under its name', () => {
    const report = check('', { LLMGW_PORT: 'eighty', LLM_GATEWAY_MODE: 'sometimes' });
    expect(report.errors.map((issue) => `${issue.file} ${issue.path}`)).toEqual([
      'environment LLMGW_PORT',
      'environment LLM_GATEWAY_MODE',
    ]);
  });

  it('collects every independent problem with its path and line', () => {
    const text = [
      'gateway:', // 1
      '  host: 0.0.0.0', // 2 no tokens
      '  max_atempts: 3', // 3 typo
      'http:', // 4
      '  connect_timeout: soon', // 5 bad duration
      'keeper:', // 6
      '  sync_schedule: every five minutes', // 7 bad cron
      'providers:', // 8
      '  groq:', // 9
      '    limits: {rpm: 0}', // 10
      '    health:', // 11
      '      breaker: {open_base: 1h, open_max: 1m}', // 12 base > max
      '  gem:', // 13
      '    template: gemeni', // 14 unknown template
      '  pooled:', // 15
      '    template: deepseek', // 16
      '    proxy: pool:eu', // 17 missing pool
      'models:', // 18
      '  fast: [groq/llama-3.1-8b-instant, groq/gpt-5, ghost/x]', // 19
    ].join('\n');
    const proxies = tempDir();
    const lines = check(text, {}, proxies).errors.map((issue) => `${issue.line} ${issue.path}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        '2 gateway.host',
        '3 gateway.max_atempts',
        '5 http.connect_timeout',
        '7 keeper.sync_schedule',
        '10 providers.groq.limits.rpm',
        '12 providers.groq.health.breaker.open_base',
        '14 providers.gem.template',
        '17 providers.pooled.proxy',
        '19 models.fast[1]',
        '19 models.fast[2]',
      ]),
    );
  });

  it('suggests the intended key for a typo', () => {
    const report = check('providers:\n  groq:\n    limits: {rmp: 5}\n');
    expect(report.errors[0]).toMatchObject({
      path: 'providers.groq.limits.rmp',
      line: 3,
      message: 'unknown key "rmp" (did you mean "rpm"?)',
    });
  });

  it('points a problem in a template value at the nearest line the operator wrote', () => {
    const report = check('providers:\n  mine:\n    template: gigachat\n    auth: bearer\n', {});
    expect(report.errors).toEqual([expect.objectContaining({ path: 'providers.mine.auth', line: 4 })]);
  });

  it('accepts a pool whose proxies file exists', () => {
    const proxies = tempDir();
    writeFileSync(join(proxies, 'eu.txt'), 'http://proxy:3128\n');
    expect(check('providers:\n  deepseek:\n    proxy: pool:eu\n', {}, proxies).errors).toEqual([]);
  });

  it('reports YAML syntax errors with their line', () => {
    const report = check('providers:\n  groq:\n    limits: {rpm: 5\n  other: {}\n');
    expect(report.config).toBeUndefined();
    expect(report.errors[0]?.message).toMatch(/^invalid YAML: .*line \d+, column \d+$/);
    expect(report.errors[0]?.line).toBeGreaterThan(0);
  });

  it('refuses duplicate provider names', () => {
    const report = check('providers:\n  groq: {}\n  groq: {}\n');
    expect(report.errors[0]?.message).toMatch(/unique/);
  });

  it('reports a top level that is not a map', () => {
    expect(check('- groq\n').errors[0]?.message).toMatch(/top level must be a map/);
  });

  it('treats a missing file as an empty patch with a warning', () => {
    const file = join(tempDir(), 'config', 'providers.yaml');
    const report = checkConfig({ file, env: {} });
    expect(report.exists).toBe(false);
    expect(report.errors).toEqual([]);
    expect(report.config?.providers).toEqual({});
    expect(report.warnings[0]?.message).toMatch(/file not found.*llmgw config create/);
  });

  it('reads .env beside the config, the given environment winning', () => {
    const dir = join(tempDir(), 'config');
    mkdirSync(dir);
    const file = join(dir, 'providers.yaml');
    writeFileSync(file, 'gateway:\n  port: ${PORT}\n  host: ${HOST}\n');
    writeFileSync(join(dir, '.env'), 'PORT=7001\nHOST=127.0.0.2\n');
    const config = loadConfig({ file, env: { HOST: '127.0.0.3' } });
    expect(config.gateway.port).toBe(7001);
    expect(config.gateway.host).toBe('127.0.0.3');
  });

  it('throws one ConfigError carrying every issue', () => {
    const file = join(tempDir(), 'providers.yaml');
    writeFileSync(file, 'providers:\n  a: {type: nope}\n  b: {type: nope}\n');
    try {
      loadConfig({ file, env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([
        'providers.a.type',
        'providers.a.base_url',
        'providers.b.type',
        'providers.b.base_url',
      ]);
    }
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in config text are the subject of these tests
import { describe, expect, it } from 'vitest';
import { addProvider, parseProviderSpec, providerFragment } from './create.js';
import { checkConfigText } from './loader.js';
import { TEMPLATE_NAMES } from './templates.js';

const add = (text: string | undefined, spec: string, full = false) => {
  const parsed = parseProviderSpec(spec);
  return addProvider(text, parsed.name, providerFragment(parsed, { full }), { file: 'providers.yaml', full });
};
const validate = (text: string, env: Record<string, string> = {}) =>
  checkConfigText(text, { file: 'providers.yaml', env });

describe('config create', () => {
  it.each(TEMPLATE_NAMES)('writes %s minimal and full so that the result validates', (template) => {
    let text = add(undefined, template);
    text = add(text, `${template}:${template}-b`);
    text = add(text, `${template}:${template}-full`, true);
    const report = validate(text);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    // minimal and full describe the same provider
    const providers = report.config?.providers ?? {};
    const { template: _a, ...minimal } = providers[template] ?? {};
    const { template: _b, ...full } = providers[`${template}-full`] ?? {};
    expect(full).toEqual(minimal);
  });

  it('writes only what differs in minimal mode', () => {
    expect(providerFragment(parseProviderSpec('groq'), { full: false }).settings).toEqual({});
    expect(providerFragment(parseProviderSpec('groq:g2'), { full: false }).settings).toEqual({
      template: 'groq',
    });
    expect(providerFragment(parseProviderSpec('openai_like:my-llm'), { full: false })).toMatchObject({
      settings: { type: 'openai_like', base_url: '${MY_LLM_BASE_URL}' },
      placeholders: ['MY_LLM_BASE_URL'],
    });
  });

  it('writes durations as an operator would in full mode', () => {
    const text = add(undefined, 'deepseek', true);
    expect(text).toContain('interval_active: 15m');
    expect(text).toContain('# first open period; doubles on every reopening\n        open_base: 30s');
  });

  it('adds a providers map to a file that has none, keeping its content', () => {
    const text = add('# mine\ngateway:\n  port: 9000 # port\n', 'groq');
    expect(text).toContain('# mine\ngateway:\n  port: 9000 # port\n');
    expect(validate(text).config?.providers.groq?.type).toBe('openai_like');
  });

  it("fills an empty `providers:` and keeps a comment-only file's comments", () => {
    expect(validate(add('providers:\n', 'groq')).errors).toEqual([]);
    const text = add('# only a comment\n', 'groq');
    expect(text.startsWith('# only a comment\n')).toBe(true);
  });

  it('refuses a duplicate with its line, and an unknown type with the known ones', () => {
    expect(() => add('providers:\n  a: {}\n  groq: {}\n', 'groq')).toThrow(
      /provider "groq" already exists \(providers.yaml:3\)/,
    );
    expect(() => parseProviderSpec('nope:x')).toThrow(/Templates: openai, deepseek.*Bare types: openai_like/);
    expect(() => parseProviderSpec('groq:bad/name')).toThrow(/invalid provider name/);
  });

  it('refuses to edit a file with a YAML syntax error', () => {
    expect(() => add('providers: [\n', 'groq')).toThrow(/configuration problem/);
  });
});

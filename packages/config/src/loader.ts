import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '@llmgw/core';
import { parse as parseDotenv } from 'dotenv';
import { LineCounter, parseDocument } from 'yaml';
import {
  type Environment,
  environmentOverrides,
  type PathSegment,
  type RawIssue,
  readEnvironment,
  substituteEnv,
} from './env.js';
import { expandProviders } from './expand-providers.js';
import { cloneDeep, freezeDeep, isPlainObject, mergeDeep, type PlainObject } from './merge.js';
import { providerSchema } from './provider-schema.js';
import {
  type ConfigPatch,
  configSchema,
  gatewaySchema,
  keeperSchema,
  type LlmgwConfig,
  type ProviderConfig,
} from './schema.js';
import { mapSchemaIssues } from './schema-issues.js';
import { type ConfigDraft, validateRules } from './validator.js';
import { findLine, firstLine, formatPath } from './yaml-lines.js';

export interface LoadOptions {
  /** Path of providers.yaml. A missing file is an empty patch, so a fresh clone starts on defaults. */
  readonly file: string;
  /** Variables for `${VAR}` and the LLMGW_* overrides; defaults to the process environment. */
  readonly env?: Environment;
  /** When given, `proxy: pool:<name>` must exist as `<proxiesDir>/<name>.txt`. */
  readonly proxiesDir?: string;
}

/** Everything `config validate` reports; `config` is set only when there are no errors. */
export interface ConfigReport {
  readonly file: string;
  readonly exists: boolean;
  readonly config: LlmgwConfig | undefined;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

/** Loads, merges and validates; throws one ConfigError listing every problem. */
export function loadConfig(options: LoadOptions): LlmgwConfig {
  const report = checkConfig(options);
  if (!report.config) throw new ConfigError(report.errors);
  return report.config;
}

/** Like loadConfig but never throws for a bad config: returns errors and warnings to print. */
export function checkConfig(options: LoadOptions): ConfigReport {
  const exists = existsSync(options.file);
  const env = withDotenv(options.file, options.env ?? readEnvironment());
  const text = exists ? readFileSync(options.file, 'utf8') : undefined;
  const report = checkConfigText(text, { ...options, env });
  if (exists) return report;
  const missing: ConfigIssue = {
    path: '',
    file: options.file,
    message:
      'file not found: running on built-in defaults with no providers. Add one with `llmgw config create <template>:<name>`, e.g. `llmgw config create groq:groq`',
  };
  return { ...report, exists, warnings: [missing, ...report.warnings] };
}

/** `.env` beside the config supplies variables the real environment lacks (the environment wins). */
function withDotenv(file: string, env: Environment): Environment {
  const dotenvFile = join(dirname(file), '.env');
  if (!existsSync(dotenvFile)) return env;
  return Object.freeze({ ...parseDotenv(readFileSync(dotenvFile)), ...env });
}

/** The whole pipeline on YAML text (undefined = no file): parse, substitute, merge, validate. */
export function checkConfigText(
  text: string | undefined,
  options: LoadOptions & { env: Environment },
): ConfigReport {
  const file = options.file;
  const lineCounter = new LineCounter();
  const document = parseDocument(text ?? '', { lineCounter, prettyErrors: true });
  const located = (issues: readonly RawIssue[]): ConfigIssue[] =>
    issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
      file,
      ...optionalLine(findLine(document.contents, lineCounter, issue.path)),
    }));
  const base = { file, exists: text !== undefined, config: undefined };

  if (document.errors.length > 0) {
    const errors = document.errors.map((error) => ({
      path: '',
      message: `invalid YAML: ${firstLine(error.message)}`,
      file,
      ...optionalLine(error.linePos?.[0].line),
    }));
    return { ...base, errors, warnings: [] };
  }

  const warnings: ConfigIssue[] = document.warnings.map((warning) => ({
    path: '',
    message: firstLine(warning.message),
    file,
    ...optionalLine(warning.linePos?.[0].line),
  }));
  let raw: unknown;
  try {
    raw = document.toJS();
  } catch (error) {
    // e.g. an alias bomb: the yaml library refuses to expand it, and the operator should hear why.
    const message = `invalid YAML: ${error instanceof Error ? firstLine(error.message) : String(error)}`;
    return { ...base, errors: [{ path: '', message, file }], warnings };
  }
  if (raw === null || raw === undefined) {
    if (text !== undefined)
      warnings.push({
        path: '',
        file,
        message: 'file is empty: running on built-in defaults with no providers',
      });
  } else if (!isPlainObject(raw)) {
    const message = 'the top level must be a map of sections (gateway, providers, models, …)';
    return { ...base, errors: [{ path: '', message, file, line: 1 }], warnings };
  }

  const fileIssues: RawIssue[] = [];
  const patch = substituteEnv(raw ?? {}, options.env, [], fileIssues);
  const overrides = environmentOverrides(options.env);
  const envErrors: ConfigIssue[] = overrides.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    file: 'environment',
  }));
  const merged = mergeDeep(patch, overrides.patch);
  if (isPlainObject(merged)) merged.providers = expandProviders(merged.providers, fileIssues);

  const parsed = configSchema.safeParse(merged);
  const schemaIssues = parsed.success ? [] : mapSchemaIssues(configSchema, parsed.error.issues);
  // A value whose ${VAR} is unset already has its problem; its schema complaint would only echo it.
  const substituted = new Set(fileIssues.map((issue) => formatPath(issue.path)));
  fileIssues.push(...schemaIssues.filter((issue) => !substituted.has(formatPath(issue.path))));
  const findings = validateRules(draftOf(withoutBadValues(merged, schemaIssues), parsed), {
    proxiesDir: options.proxiesDir,
    fileExists: existsSync,
  });
  const errors = [...envErrors, ...byLine(located(dedupe([...fileIssues, ...findings.errors])))];
  warnings.push(...byLine(located(findings.warnings)));
  if (errors.length > 0 || !parsed.success) return { ...base, errors, warnings };
  return { ...base, config: freezeDeep(parsed.data), errors, warnings };
}

function optionalLine(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/**
 * The merged patch minus every value the schema rejected (schema defaults take their place), so one
 * bad value does not hide the rules of its section: a provider with a bad limit still has models
 * for model groups to point at.
 */
function withoutBadValues(merged: unknown, issues: readonly RawIssue[]): unknown {
  const cleaned = cloneDeep(merged);
  for (const issue of issues) {
    const parent = issue.path.slice(0, -1).reduce<unknown>(childOf, cleaned);
    const key = issue.path[issue.path.length - 1];
    if (isPlainObject(parent) && key !== undefined) delete parent[String(key)];
  }
  return cleaned;
}

/** In file order, as the operator reads the file; issues without a line keep their place at the end. */
function byLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort(
    (left, right) => (left.line ?? Number.MAX_SAFE_INTEGER) - (right.line ?? Number.MAX_SAFE_INTEGER),
  );
}

function childOf(node: unknown, segment: PathSegment): unknown {
  if (Array.isArray(node)) return typeof segment === 'number' ? node[segment] : undefined;
  return isPlainObject(node) ? node[String(segment)] : undefined;
}

function dedupe(issues: readonly RawIssue[]): RawIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each section that passes the schema on its own, so business rules run despite errors elsewhere. */
function draftOf(merged: unknown, parsed: ReturnType<typeof configSchema.safeParse>): ConfigDraft {
  if (parsed.success) {
    return { ...parsed.data, providerNames: Object.keys(parsed.data.providers) };
  }
  const source: PlainObject = isPlainObject(merged) ? merged : {};
  const rawProviders = isPlainObject(source.providers) ? source.providers : {};
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, value] of Object.entries(rawProviders)) {
    const provider = providerSchema.safeParse(value);
    if (provider.success) providers[name] = provider.data;
  }
  const gateway = gatewaySchema.safeParse(source.gateway);
  const keeper = keeperSchema.safeParse(source.keeper);
  const models = configSchema.shape.models.safeParse(source.models);
  return {
    providers,
    providerNames: Object.keys(rawProviders),
    ...(gateway.success ? { gateway: gateway.data } : {}),
    ...(keeper.success ? { keeper: keeper.data } : {}),
    ...(models.success ? { models: models.data } : {}),
  };
}

/** Builds a config from an in-memory patch (tests, tools); throws ConfigError like loadConfig. */
export function buildConfig(patch: ConfigPatch | PlainObject, env: Environment = {}): LlmgwConfig {
  // JSON is YAML, so an in-memory patch takes the same path as a file.
  const report = checkConfigText(JSON.stringify(patch), { file: '<patch>', env });
  if (!report.config) throw new ConfigError(report.errors);
  return report.config;
}

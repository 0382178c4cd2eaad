import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '@llmgw/core';
import { LineCounter, parseDocument } from 'yaml';
import type { PathSegment } from '../env.js';
import { mapSchemaIssues } from '../schema-issues.js';
import { findLine, firstLine, formatPath } from '../yaml-lines.js';
import {
  type OfflineAnswerEntry,
  type OfflineEmbeddingEntry,
  offlinePackageSchema,
} from './offline-schema.js';

/** Where an entry was written, for logs and for an operator chasing a surprising answer. */
export interface OfflineSource {
  /** The package file's name, e.g. `faq.yaml`. */
  readonly file: string;
  /** `answers[3]` */
  readonly path: string;
  readonly line: number | undefined;
}

export type OfflineAnswer = Readonly<OfflineAnswerEntry> & { readonly source: OfflineSource };
export type OfflineEmbedding = Readonly<OfflineEmbeddingEntry> & { readonly source: OfflineSource };

export interface OfflinePackages {
  /** Every package's answers, in file-name order, then entry order. */
  readonly answers: readonly OfflineAnswer[];
  readonly embeddings: readonly OfflineEmbedding[];
  /** The files loaded (names, in order). */
  readonly files: readonly string[];
}

export interface OfflinePackagesReport {
  readonly dir: string;
  readonly packages: OfflinePackages;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

const PACKAGE_FILE = /\.ya?ml$/i;

/**
 * The exact-match form of a message: case and runs of whitespace do not matter, so "What is llmgw?"
 * written in a package answers " what is  LLMGW? " from a client.
 */
export function normalizeOfflineText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** `config/offline/` for `config/providers.yaml`: packages live beside the config they belong to. */
export function offlinePackagesDir(configFile: string): string {
  return join(dirname(configFile), 'offline');
}

/** Loads and validates `<dir>/*.yaml`; throws one ConfigError listing every problem of every file. */
export function loadOfflinePackages(dir: string): OfflinePackagesReport {
  const report = checkOfflinePackages(dir);
  if (report.errors.length > 0) throw new ConfigError(report.errors);
  return report;
}

/** Like loadOfflinePackages, never throwing: a missing directory is simply no packages. */
export function checkOfflinePackages(dir: string): OfflinePackagesReport {
  const files =
    existsSync(dir) && statSync(dir).isDirectory()
      ? readdirSync(dir)
          .filter((name) => PACKAGE_FILE.test(name))
          .sort()
      : [];
  const texts = files.map((name) => ({ file: join(dir, name), text: readFileSync(join(dir, name), 'utf8') }));
  return { dir, ...checkOfflinePackageTexts(texts) };
}

/** The whole check on file contents (tests, tools): each file validated, then the rules across files. */
export function checkOfflinePackageTexts(
  texts: readonly { file: string; text: string }[],
): Omit<OfflinePackagesReport, 'dir'> {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const answers: OfflineAnswer[] = [];
  const embeddings: OfflineEmbedding[] = [];
  for (const { file, text } of texts) {
    const checked = checkOne(file, text);
    errors.push(...checked.errors);
    warnings.push(...checked.warnings);
    answers.push(...checked.answers);
    embeddings.push(...checked.embeddings);
  }
  const named = new Map(texts.map(({ file }) => [basename(file), file]));
  const at = (source: OfflineSource, message: string): ConfigIssue => ({
    path: source.path,
    message,
    file: named.get(source.file) ?? source.file,
    ...(source.line === undefined ? {} : { line: source.line }),
  });
  crossCheck(answers, embeddings, {
    error: (source, message) => errors.push(at(source, message)),
    warning: (source, message) => warnings.push(at(source, message)),
  });
  return {
    packages: { answers, embeddings, files: texts.map(({ file }) => basename(file)) },
    errors,
    warnings,
  };
}

interface CheckedFile {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  answers: OfflineAnswer[];
  embeddings: OfflineEmbedding[];
}

function checkOne(file: string, text: string): CheckedFile {
  const result: CheckedFile = { errors: [], warnings: [], answers: [], embeddings: [] };
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  const lineAt = (path: readonly PathSegment[]) => findLine(document.contents, lineCounter, path);
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const line = error.linePos?.[0].line;
      result.errors.push({
        path: '',
        message: `invalid YAML: ${firstLine(error.message)}`,
        file,
        ...(line === undefined ? {} : { line }),
      });
    }
    return result;
  }
  let raw: unknown;
  try {
    raw = document.toJS();
  } catch (error) {
    const why = error instanceof Error ? firstLine(error.message) : String(error);
    result.errors.push({ path: '', message: `invalid YAML: ${why}`, file });
    return result;
  }
  if (raw === null || raw === undefined) {
    result.warnings.push({ path: '', message: 'empty offline package', file });
    return result;
  }
  const parsed = offlinePackageSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of mapSchemaIssues(offlinePackageSchema, parsed.error.issues)) {
      const line = lineAt(issue.path);
      result.errors.push({
        path: formatPath(issue.path),
        message: issue.message,
        file,
        ...(line === undefined ? {} : { line }),
      });
    }
    return result;
  }
  const name = basename(file);
  const source = (path: PathSegment[]): OfflineSource => ({
    file: name,
    path: formatPath(path),
    line: lineAt(path),
  });
  parsed.data.answers.forEach((entry, index) => {
    result.answers.push({ ...entry, source: source(['answers', index]) });
  });
  parsed.data.embeddings.forEach((entry, index) => {
    result.embeddings.push({ ...entry, source: source(['embeddings', index]) });
  });
  if (result.answers.length === 0 && result.embeddings.length === 0) {
    result.warnings.push({
      path: '',
      message: 'no answers and no embeddings: this package serves nothing',
      file,
    });
  }
  return result;
}

interface Report {
  error(source: OfflineSource, message: string): void;
  warning(source: OfflineSource, message: string): void;
}

/** Rules across entries and files: answers that can never win, vectors of mixed sizes for one model. */
function crossCheck(
  answers: readonly OfflineAnswer[],
  embeddings: readonly OfflineEmbedding[],
  report: Report,
): void {
  const exact = new Map<string, OfflineSource>();
  for (const answer of answers) {
    if (answer.match === undefined) continue;
    for (const model of modelsOf(answer.model)) {
      const key = `${model}\u0000${normalizeOfflineText(answer.match)}`;
      const earlier = exact.get(key);
      if (earlier) {
        report.warning(answer.source, `never used: ${where(earlier)} already answers this message`);
        break;
      }
      exact.set(key, answer.source);
    }
  }
  const inputs = new Map<string, OfflineSource>();
  const sizes = new Map<string, { size: number; source: OfflineSource }>();
  for (const embedding of embeddings) {
    for (const model of modelsOf(embedding.model)) {
      const key = `${model}\u0000${embedding.input}`;
      const earlier = inputs.get(key);
      if (earlier) report.warning(embedding.source, `never used: ${where(earlier)} has the same input`);
      else inputs.set(key, embedding.source);
      const size = sizes.get(model);
      if (size === undefined) sizes.set(model, { size: embedding.vector.length, source: embedding.source });
      else if (size.size !== embedding.vector.length) {
        const forModel = model === '*' ? 'entries without a model' : `model "${model}"`;
        report.error(
          embedding.source,
          `vector has ${embedding.vector.length} dimensions, but ${where(size.source)} gives ${size.size} for ${forModel}`,
        );
      }
    }
  }
}

function modelsOf(models: readonly string[]): readonly string[] {
  return models.length === 0 ? ['*'] : models;
}

function where(source: OfflineSource): string {
  return `${source.file}${source.line === undefined ? '' : `:${source.line}`} ${source.path}`;
}

import type { FailureReason } from './reasons.js';

const BRAND = Symbol.for('llmgw.error');

/**
 * The one error type of llmgw. It carries a SPEC reason where one applies, so callers branch on
 * `reason`, never on message text. The brand makes `isLlmgwError` work across duplicated copies.
 */
export class LlmgwError extends Error {
  readonly [BRAND] = true;
  readonly reason: FailureReason | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: { reason?: FailureReason; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'LlmgwError';
    this.reason = options.reason;
    this.status = options.status;
  }
}

export function isLlmgwError(value: unknown): value is LlmgwError {
  return typeof value === 'object' && value !== null && BRAND in value;
}

/** One problem found in a configuration file, located by YAML path and (where known) file and line. */
export interface ConfigIssue {
  path: string;
  message: string;
  file?: string;
  line?: number;
}

/** Raised when configuration cannot be used; carries every problem found, not just the first. */
export class ConfigError extends LlmgwError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(formatConfigIssues(issues));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}` : '';
  const path = issue.path ? ` ${issue.path}` : '';
  return `${where}${where && path ? ' ' : ''}${path.trim()}: ${issue.message}`.trim();
}

export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  const plural = issues.length === 1 ? 'problem' : 'problems';
  return [
    `${issues.length} configuration ${plural}:`,
    ...issues.map((i) => `  - ${formatConfigIssue(i)}`),
  ].join('\n');
}

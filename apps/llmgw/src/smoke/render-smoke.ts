import { formatMs } from '../format/numbers.js';
import { describeKey } from './hints.js';
import type { SmokeReport, SmokeResult } from './types.js';

const MARK: Record<SmokeResult['verdict'], string> = {
  ok: 'ok      ',
  degraded: 'DEGRADED',
  failing: 'FAILING ',
};

function headline(result: SmokeResult): string {
  const name = `${result.provider}/${result.model}`;
  if (result.verdict === 'failing') {
    return `${MARK.failing}  ${name}  ${result.reason ?? 'failed'}${result.message ? `: ${result.message}` : ''}`;
  }
  const key = result.key ? `  via ${describeKey(result.key)}` : '';
  return `${MARK[result.verdict]}  ${name}  ${formatMs(result.latencyMs)}${key}`;
}

/** The readable verdict: one line per provider/model, then what is wrong with which key and what to do. */
export function renderSmoke(report: SmokeReport, reportFile: string): string {
  const lines: string[] = [];
  const where =
    report.mode === 'gateway'
      ? `through the gateway at ${report.gateway}`
      : 'straight to each provider (--direct)';
  const { summary } = report;
  lines.push(
    `llmgw smoke ${where}: ${summary.total} provider/model${summary.total === 1 ? '' : 's'} — ` +
      `${summary.ok} ok, ${summary.degraded} degraded, ${summary.failing} failing`,
    '',
  );
  for (const result of report.results) {
    lines.push(headline(result));
    for (const problem of result.keyProblems) {
      const seen =
        problem.seen === 'pool' ? `already ${problem.state ?? 'failing'} in the pool` : 'failed in this run';
      lines.push(`    ${describeKey(problem.key)}: ${problem.reason} (${seen})`, `      → ${problem.hint}`);
    }
    for (const hint of result.hints) lines.push(`    → ${hint}`);
  }
  for (const skipped of report.skipped) lines.push(`skipped   ${skipped.provider}: ${skipped.why}`);
  if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `note: ${note}`));
  const meaning =
    report.exitCode === 0
      ? summary.degraded > 0
        ? 'every provider/model answered; fix the keys above'
        : 'every provider/model answered'
      : summary.failing > 0
        ? 'a provider/model is failing'
        : 'keys are failing (--strict)';
  lines.push('', `report: ${reportFile} · exit ${report.exitCode} (${meaning})`);
  return lines.join('\n');
}

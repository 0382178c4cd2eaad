import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SmokeMode, SmokeReport, SmokeResult } from './types.js';

export const DEFAULT_REPORT_FILE = 'output/llm_smoke_report.json';

/**
 * Exit codes (docs/cli.md): 0 every provider/model answered (degraded ones too, unless `strict`);
 * 1 at least one is failing (or degraded with `strict`); 2 the smoke could not run at all.
 */
export function exitCodeOf(results: readonly SmokeResult[], strict: boolean): 0 | 1 {
  return results.some((result) => result.verdict === 'failing' || (strict && result.verdict === 'degraded'))
    ? 1
    : 0;
}

export interface ReportInput {
  mode: SmokeMode;
  gateway: string | null;
  full: boolean;
  strict: boolean;
  startedAt: number;
  finishedAt: number;
  poolReadable: boolean;
  notes: string[];
  results: SmokeResult[];
  skipped: { provider: string; why: string }[];
}

export function buildReport(input: ReportInput): SmokeReport {
  const count = (verdict: SmokeResult['verdict']) =>
    input.results.filter((result) => result.verdict === verdict).length;
  const summary = {
    total: input.results.length,
    ok: count('ok'),
    degraded: count('degraded'),
    failing: count('failing'),
  };
  return {
    version: 1,
    mode: input.mode,
    gateway: input.gateway,
    full: input.full,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    durationMs: input.finishedAt - input.startedAt,
    verdict: summary.failing > 0 ? 'failing' : summary.degraded > 0 ? 'degraded' : 'ok',
    exitCode: exitCodeOf(input.results, input.strict),
    error: null,
    poolReadable: input.poolReadable,
    notes: input.notes,
    summary,
    results: input.results,
    skipped: input.skipped,
  };
}

/** The report of a smoke that could not run (exit 2), so a CI job still finds a file saying why. */
export function notRunReport(input: {
  mode: SmokeMode;
  gateway: string | null;
  full: boolean;
  startedAt: number;
  error: string;
}): SmokeReport {
  const now = Date.now();
  return {
    version: 1,
    mode: input.mode,
    gateway: input.gateway,
    full: input.full,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    durationMs: now - input.startedAt,
    verdict: 'not_run',
    exitCode: 2,
    error: input.error,
    poolReadable: false,
    notes: [],
    summary: { total: 0, ok: 0, degraded: 0, failing: 0 },
    results: [],
    skipped: [],
  };
}

export async function writeReport(file: string, report: SmokeReport): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

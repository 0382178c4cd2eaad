import { isLlmgwError, LlmgwError } from '@llmgw/core';
import type { Command } from 'commander';
import ms from 'ms';
import type { GlobalOptions } from '../global-options.js';
import { loadContext } from '../runtime/context.js';
import { createLogger } from '../runtime/logger.js';
import { renderSmoke } from '../smoke/render-smoke.js';
import { buildReport, DEFAULT_REPORT_FILE, notRunReport, writeReport } from '../smoke/report.js';
import { runSmoke, type SmokeOptions } from '../smoke/run-smoke.js';
import type { SmokeReport } from '../smoke/types.js';

interface CliOptions {
  provider?: string;
  full: boolean;
  direct: boolean;
  report?: string;
  url?: string;
  token?: string;
  timeout: string;
  concurrency: string;
  strict: boolean;
  json: boolean;
}

function parseOptions(options: CliOptions): Omit<SmokeOptions, 'context' | 'log'> {
  const timeoutMs = ms(options.timeout as ms.StringValue);
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new LlmgwError(`--timeout expects a duration like 30s or 2m, got "${options.timeout}"`);
  }
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency <= 0) {
    throw new LlmgwError(`--concurrency expects a positive number, got "${options.concurrency}"`);
  }
  return {
    mode: options.direct ? 'direct' : 'gateway',
    full: options.full,
    provider: options.provider,
    url: options.url,
    token: options.token,
    timeoutMs,
    concurrency,
  };
}

/** An operator-facing reason the smoke could not run; config problems listed one per line. */
function describeFailure(error: unknown): string {
  if (isLlmgwError(error)) {
    const issues =
      'issues' in error && Array.isArray(error.issues)
        ? (error.issues as { path: string; message: string }[])
        : [];
    if (issues.length === 0) return error.message;
    return [
      error.message.split('\n')[0],
      ...issues.map((issue) => `  - ${issue.path}: ${issue.message}`),
    ].join('\n');
  }
  return `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

async function smokeCommand(globals: GlobalOptions, options: CliOptions): Promise<number> {
  const startedAt = Date.now();
  const reportFile = options.report ?? DEFAULT_REPORT_FILE;
  const mode = options.direct ? 'direct' : 'gateway';
  let gateway: string | null = null;
  let report: SmokeReport;
  try {
    const parsed = parseOptions(options);
    const context = loadContext(globals, { oneShot: true });
    // Progress goes to stderr (pretty on a TTY, JSON lines otherwise); the verdict goes to stdout.
    const log = createLogger(globals.logLevel ?? context.config.logging.level, { toStderr: true });
    const run = await runSmoke({ ...parsed, context, log, onGateway: (url) => (gateway = url) });
    report = buildReport({
      mode: parsed.mode,
      gateway,
      full: parsed.full,
      strict: options.strict,
      startedAt,
      finishedAt: Date.now(),
      poolReadable: run.poolReadable,
      notes: run.notes,
      results: run.results,
      skipped: run.skipped,
    });
  } catch (error) {
    const message = describeFailure(error);
    process.stderr.write(`llmgw smoke: could not run: ${message}\n`);
    await writeReport(
      reportFile,
      notRunReport({ mode, gateway, full: options.full, startedAt, error: message }),
    ).catch(() => undefined);
    return 2;
  }
  await writeReport(reportFile, report);
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSmoke(report, reportFile)}\n`,
  );
  return report.exitCode;
}

export function registerSmokeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('smoke')
    .description('send real test requests and print a verdict per provider/model, with what to fix')
    .option('--provider <name>', 'only this provider')
    .option('--full', 'every configured model (with --direct: every key of every model)', false)
    .option(
      '--direct',
      'call each provider straight with the keys from the database, not through the gateway',
      false,
    )
    .option('--report <file>', 'where to write the JSON report', DEFAULT_REPORT_FILE)
    .option('--url <url>', 'the gateway to call (default: gateway.host and gateway.port of the config)')
    .option('--token <token>', 'client token for the gateway (default: the first of LLMGW_AUTH_TOKENS)')
    .option('--timeout <duration>', 'longest one test request may take', '60s')
    .option('--concurrency <n>', 'test requests in flight at once', '4')
    .option('--strict', 'exit 1 also when keys are failing but every provider/model answered', false)
    .option('--json', 'print the report as JSON instead of the readable verdict', false)
    .addHelpText(
      'after',
      `
Through the gateway (default) each provider/model gets one chat completion pinned to it; keys that
failed on the way (x-llm-attempt-trail) and keys the pool already marks dead / no_quota / unsupported
are listed with the file and line to fix (when DATABASE_URL lets the smoke read the pool).
With --direct every call goes straight to the provider with keys from the database, healthiest first
until one answers (--full: every key).

Exit codes: 0 every provider/model answered (degraded ones too, unless --strict); 1 at least one is
failing; 2 the smoke could not run (gateway unreachable, token refused, bad config or database).

Examples:
  $ llmgw smoke
  $ llmgw smoke --provider gemini --full
  $ DATABASE_URL=postgres://llmgw@db/llmgw llmgw smoke --direct --full --report output/keys.json`,
    )
    .action(async (options: CliOptions) => {
      process.exitCode = await smokeCommand(globals(), options);
    });
}

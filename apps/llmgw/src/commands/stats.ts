import { LlmgwError } from '@llmgw/core';
import { queryAttemptStats, STATS_GROUPINGS, type StatsGrouping } from '@llmgw/db';
import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { loadContext, openDatabase } from '../runtime/context.js';
import { parseSince } from '../stats/parse-since.js';
import { renderStats } from '../stats/render-stats.js';

interface StatsOptions {
  since: string;
  by: string;
  provider?: string;
  probes: boolean;
  json: boolean;
}

function parseGrouping(value: string): StatsGrouping {
  if ((STATS_GROUPINGS as readonly string[]).includes(value)) return value as StatsGrouping;
  throw new LlmgwError(`--by expects one of ${STATS_GROUPINGS.join(', ')}, got "${value}"`);
}

async function runStats(globals: GlobalOptions, options: StatsOptions): Promise<void> {
  const by = parseGrouping(options.by);
  const since = parseSince(options.since, Date.now());
  const context = loadContext(globals, { oneShot: true });
  const database = await openDatabase(context);
  try {
    const stats = await queryAttemptStats(database, {
      since,
      by,
      includeProbes: options.probes,
      ...(options.provider ? { provider: options.provider } : {}),
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ window: options.since, ...stats }, null, 2)}\n`
        : `${renderStats(stats, options.since)}\n`,
    );
  } finally {
    await database.close();
  }
}

export function registerStatsCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('stats')
    .description('requests, error rate by reason, fallbacks, tokens and p50/p95 latency from the request log')
    .option('--since <duration>', 'how far back, e.g. 30m, 1h, 7d (records are kept 7 days)', '1h')
    .option('--by <grouping>', `one row per ${STATS_GROUPINGS.join(' | ')}`, 'provider')
    .option('--provider <name>', 'only this provider')
    .option('--probes', "count the keeper's probes too (default: real requests only)", false)
    .option('--json', 'print JSON instead of tables', false)
    .addHelpText(
      'after',
      `
Requests are counted by the attempt that answered them; a fallback is an attempt that failed over to
another triple. Latency percentiles are over successful attempts. The cached-token share per provider
is cached prompt tokens / prompt tokens (the providers' prompt caches at work).

Examples:
  $ llmgw stats
  $ llmgw stats --since 24h --by model
  $ llmgw stats --by key --provider gemini --json`,
    )
    .action((options: StatsOptions) => runStats(globals(), options));
}

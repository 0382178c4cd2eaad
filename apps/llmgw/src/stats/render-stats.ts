import type { AttemptFigures, AttemptStats, StatsGroup } from '@llmgw/db';
import { formatCount, formatMs, formatPercent } from '../format/numbers.js';
import { formatTable } from '../format/table.js';

/** "invalid_key 3, rate_limited 2": the reasons of a slice, most frequent first. */
function errorList(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '-' : entries.map(([reason, count]) => `${reason} ${count}`).join(', ');
}

function when(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 19);
}

function summary(figures: AttemptFigures): string[] {
  return [
    `requests ${formatCount(figures.requests)}, failed ${formatCount(figures.failedRequests)} (${formatPercent(figures.requestErrorRate)})` +
      ` · attempts ${formatCount(figures.attempts)}, failed ${formatCount(figures.failedAttempts)} (${formatPercent(figures.errorRate)})` +
      ` · fallbacks ${formatCount(figures.fallbacks)}` +
      ` · latency p50 ${formatMs(figures.latencyMs.p50)} p95 ${formatMs(figures.latencyMs.p95)}`,
    `tokens prompt ${formatCount(figures.tokens.prompt)}, completion ${formatCount(figures.tokens.completion)}, cached ${formatCount(figures.tokens.cached)}` +
      (figures.clientAborts > 0 ? ` · client aborts ${formatCount(figures.clientAborts)}` : ''),
    `errors by reason: ${errorList(figures.errors)}`,
  ];
}

function groupLabel(stats: AttemptStats, group: StatsGroup): string[] {
  if (stats.by === 'model') return [group.provider, group.model ?? ''];
  if (stats.by === 'key') {
    return [
      group.provider,
      group.keyId === null || group.keyId === undefined ? '-' : String(group.keyId),
      group.keyMask ?? '-',
    ];
  }
  return [group.provider];
}

const LABEL_HEADERS = {
  provider: ['provider'],
  model: ['provider', 'model'],
  key: ['provider', 'key', 'mask'],
};

/** The operator's view of `llmgw stats`: a summary, one row per group, and the cached-token share. */
export function renderStats(stats: AttemptStats, sinceText: string): string {
  const scope = stats.includeProbes ? 'requests and probes' : 'real requests (probes left out)';
  const lines = [
    `last ${sinceText} (${when(stats.since)} → ${when(stats.until)} UTC), by ${stats.by}, ${scope}`,
    '',
  ];
  if (stats.totals.attempts === 0) {
    lines.push(`no attempts recorded in the last ${sinceText}`);
    return lines.join('\n');
  }
  lines.push(...summary(stats.totals), '');
  lines.push(
    formatTable(
      [
        ...LABEL_HEADERS[stats.by],
        'requests',
        'failed',
        'attempts',
        'err%',
        'fallbacks',
        'p50',
        'p95',
        'prompt',
        'completion',
        'cached',
        'errors',
      ],
      stats.groups.map((group) => [
        ...groupLabel(stats, group),
        formatCount(group.requests),
        formatCount(group.failedRequests),
        formatCount(group.attempts),
        formatPercent(group.errorRate),
        formatCount(group.fallbacks),
        formatMs(group.latencyMs.p50),
        formatMs(group.latencyMs.p95),
        formatCount(group.tokens.prompt),
        formatCount(group.tokens.completion),
        formatCount(group.tokens.cached),
        errorList(group.errors),
      ]),
    ),
    '',
    'cached-token share per provider (cached / prompt tokens)',
    formatTable(
      ['provider', 'prompt', 'cached', 'share'],
      stats.cachedShare.map((row) => [
        row.provider,
        formatCount(row.promptTokens),
        formatCount(row.cachedTokens),
        formatPercent(row.share),
      ]),
    ),
  );
  return lines.join('\n');
}

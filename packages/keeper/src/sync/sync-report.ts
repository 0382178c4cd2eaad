import type { Logger } from 'pino';

export interface MalformedReport {
  /** Path as the operator knows it, e.g. `keys/groq.txt`. */
  file: string;
  line: number;
  problem: string;
}

export interface UnreadableReport {
  file: string;
  /** Node error code (EACCES, EISDIR…). */
  code: string;
}

export interface UnknownProviderReport {
  provider: string;
  files: string[];
  keys: number;
}

export interface SyncReport {
  /** Configured providers written to the `providers` table. */
  providers: number;
  keys: { live: number; added: number; updated: number; removed: number; restored: number; repinned: number };
  triples: { added: number; removed: number; restored: number };
  proxies: { live: number; added: number; updated: number; removed: number; restored: number };
  malformed: MalformedReport[];
  unreadable: UnreadableReport[];
  unknownProviders: UnknownProviderReport[];
  /** Conditions an operator should see that are not file problems (no healthy proxy, missing folder). */
  warnings: string[];
  durationMs: number;
}

export function emptyReport(): SyncReport {
  return {
    providers: 0,
    keys: { live: 0, added: 0, updated: 0, removed: 0, restored: 0, repinned: 0 },
    triples: { added: 0, removed: 0, restored: 0 },
    proxies: { live: 0, added: 0, updated: 0, removed: 0, restored: 0 },
    malformed: [],
    unreadable: [],
    unknownProviders: [],
    warnings: [],
    durationMs: 0,
  };
}

// A file of thousands of broken lines must not flood the log; the report keeps them all.
const MAX_LOGGED_MALFORMED = 50;

/** One summary line plus one line per problem; only paths, counts and masks, never a key or proxy password. */
export function logSyncReport(log: Logger, report: SyncReport): void {
  for (const { file, line, problem } of report.malformed.slice(0, MAX_LOGGED_MALFORMED)) {
    log.warn({ event: 'keeper.sync.malformed', file, line }, `${file}:${line}: ${problem}`);
  }
  if (report.malformed.length > MAX_LOGGED_MALFORMED) {
    log.warn(
      { event: 'keeper.sync.malformed', more: report.malformed.length - MAX_LOGGED_MALFORMED },
      `${report.malformed.length - MAX_LOGGED_MALFORMED} more malformed lines not shown`,
    );
  }
  for (const { file, code } of report.unreadable) {
    log.warn(
      { event: 'keeper.sync.unreadable', file, code },
      `${file}: unreadable (${code}); the keys or proxies it held are kept as they were`,
    );
  }
  for (const { provider, files, keys } of report.unknownProviders) {
    log.warn(
      { event: 'keeper.sync.unknown_provider', provider, files, keys },
      `${files.join(', ')}: ${keys} keys for provider "${provider}", which is not in the config; skipped`,
    );
  }
  for (const warning of report.warnings) log.warn({ event: 'keeper.sync.warning' }, warning);
  log.info(
    {
      event: 'keeper.sync',
      providers: report.providers,
      keys: report.keys,
      triples: report.triples,
      proxies: report.proxies,
      malformed: report.malformed.length,
      unreadable: report.unreadable.length,
      durationMs: report.durationMs,
    },
    `sync: ${report.keys.live} live keys (+${report.keys.added} -${report.keys.removed} ` +
      `restored ${report.keys.restored}, repinned ${report.keys.repinned}), ` +
      `triples +${report.triples.added} -${report.triples.removed}, ` +
      `${report.proxies.live} proxies in ${report.durationMs} ms`,
  );
}

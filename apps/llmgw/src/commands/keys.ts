import { LlmgwError } from '@llmgw/core';
import { type Database, listStateChanges, listTriples, resetTriplesReport } from '@llmgw/db';
import type { Command } from 'commander';
import ms from 'ms';
import { formatRelative, formatTable } from '../format/table.js';
import type { GlobalOptions } from '../global-options.js';
import { type AppContext, loadContext, openDatabase } from '../runtime/context.js';

async function withDatabase(
  globals: GlobalOptions,
  work: (database: Database, context: AppContext) => Promise<void>,
) {
  const context = loadContext(globals, { oneShot: true });
  const database = await openDatabase(context);
  try {
    await work(database, context);
  } finally {
    await database.close();
  }
}

function parseKeyId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0)
    throw new LlmgwError(`--key expects a key id (a positive number), got "${value}"`);
  return id;
}

function parseSince(value: string, now: number): Date {
  const span = ms(value as ms.StringValue);
  if (typeof span !== 'number' || !Number.isFinite(span) || span <= 0) {
    throw new LlmgwError(`--since expects a duration like 30m, 6h or 1d, got "${value}"`);
  }
  return new Date(now - span);
}

export function registerKeysCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program
    .command('keys')
    .description('inspect and reset the key pool (keys are shown by id and mask, never in full)');

  keys
    .command('status')
    .description('one line per provider / key / model: state, reason, cooldown end, success rate, latency')
    .option('--provider <name>', 'only this provider')
    .option('--state <state>', 'only triples in this state (active, cooldown, dead, no_quota, …)')
    .option('--all', 'include keys removed from keys/', false)
    .option('--json', 'print JSON instead of a table', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ llmgw keys status\n  $ llmgw keys status --provider gemini --state cooldown',
    )
    .action((options: { provider?: string; state?: string; all: boolean; json: boolean }) =>
      withDatabase(globals(), async (database) => {
        const rows = await listTriples(database.db, {
          ...(options.provider ? { provider: options.provider } : {}),
          ...(options.state ? { state: options.state } : {}),
          includeRemoved: options.all,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(
            'no keys in the pool yet: put keys in keys/<provider>.txt and run `llmgw worker` or `llmgw start`\n',
          );
          return;
        }
        const now = Date.now();
        const table = formatTable(
          ['provider', 'key', 'mask', 'model', 'state', 'reason', 'until', 'success', 'latency'],
          rows.map((row) => [
            row.provider,
            String(row.keyId),
            row.keyMask,
            row.model,
            row.state,
            row.reason ?? '-',
            formatRelative(row.cooldownUntil, now),
            `${Math.round(row.successRate * 100)}%`,
            row.latencyMs === null ? '-' : `${Math.round(row.latencyMs)}ms`,
          ]),
        );
        process.stdout.write(`${table}\n`);
      }),
    );

  keys
    .command('reset')
    .description(
      'start triples over as untested (closes a manual_reset breaker, revives dead keys; disabled keys stay as they are)',
    )
    .argument('<provider>', 'provider name from config/providers.yaml')
    .option('--key <id>', 'only this key id (see `llmgw keys status`)')
    .option('--model <model>', 'only this model')
    .addHelpText(
      'after',
      '\nThe keeper probes reset triples at once; the audit log records who reset what.\n\nExamples:\n  $ llmgw keys reset groq\n  $ llmgw keys reset gemini --key 12 --model gemini-2.0-flash',
    )
    .action((provider: string, options: { key?: string; model?: string }) =>
      withDatabase(globals(), async (database) => {
        const { reset: changed, skippedDisabledKeys } = await resetTriplesReport(
          database.db,
          {
            provider,
            ...(options.key ? { keyId: parseKeyId(options.key) } : {}),
            ...(options.model ? { model: options.model } : {}),
          },
          { now: Date.now(), actor: 'operator', why: 'manual_reset' },
        );
        for (const keyId of skippedDisabledKeys) {
          process.stdout.write(
            `skipped key ${keyId} of ${provider}: it is disabled, and a reset leaves it so (enable it with POST /admin/keys/${keyId}/enable)\n`,
          );
        }
        if (changed > 0 || skippedDisabledKeys.length === 0) {
          process.stdout.write(
            changed === 0
              ? `nothing to reset for ${provider}${options.key ? ` key ${options.key}` : ''}${options.model ? ` model ${options.model}` : ''}\n`
              : `reset ${changed} triple${changed === 1 ? '' : 's'} of ${provider} to untested; the keeper probes them next\n`,
          );
        }
      }),
    );

  keys
    .command('history')
    .description('the audit log of state changes, newest first')
    .option('--key <id>', 'only this key id')
    .option('--since <duration>', 'how far back, e.g. 30m, 6h, 1d', '1d')
    .option('--limit <n>', 'at most this many entries', '200')
    .option('--json', 'print JSON instead of a table', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ llmgw keys history --since 6h\n  $ llmgw keys history --key 12 --since 7d',
    )
    .action((options: { key?: string; since: string; limit: string; json: boolean }) =>
      withDatabase(globals(), async (database) => {
        const now = Date.now();
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit <= 0)
          throw new LlmgwError(`--limit expects a positive number, got "${options.limit}"`);
        const rows = await listStateChanges(database.db, {
          ...(options.key ? { keyId: parseKeyId(options.key) } : {}),
          since: parseSince(options.since, now),
          limit,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(`no state changes in the last ${options.since}\n`);
          return;
        }
        const table = formatTable(
          ['when', 'scope', 'subject', 'from', 'to', 'reason', 'by'],
          rows.map((row) => [
            row.at.toISOString().replace('T', ' ').slice(0, 19),
            row.scope,
            row.subject,
            row.from ?? '-',
            row.to,
            row.reason ?? '-',
            row.actor ?? '-',
          ]),
        );
        process.stdout.write(`${table}\n`);
      }),
    );
}

import { providerSettings } from '@llmgw/config';
import { LlmgwError } from '@llmgw/core';
import { createDatabase, describeDbError, listSmokeTriples, listTriples, type SmokeTriple } from '@llmgw/db';
import { createHttpClients } from '@llmgw/http';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type AppContext, openDatabase } from '../runtime/context.js';
import { smokeThroughGateway } from './call-gateway.js';
import { checkGateway, gatewayTarget } from './gateway-target.js';
import type { HintContext } from './hints.js';
import { type ItemRun, judgeItem } from './judge.js';
import { planSmoke } from './plan.js';
import { type PoolKnowledge, type PoolRow, poolKnowledge } from './pool-knowledge.js';
import { runDirectItem } from './run-direct.js';
import type { SmokeItem, SmokeMode, SmokeResult } from './types.js';

export interface SmokeOptions {
  context: AppContext;
  log: Logger;
  mode: SmokeMode;
  full: boolean;
  provider: string | undefined;
  url: string | undefined;
  token: string | undefined;
  timeoutMs: number;
  concurrency: number;
  /** Told the gateway's URL as soon as it is known, so a report of a failed start can name it. */
  onGateway?: (url: string) => void;
}

export interface SmokeRun {
  results: SmokeResult[];
  skipped: { provider: string; why: string }[];
  poolReadable: boolean;
  notes: string[];
}

// The health check is a trivial request: a gateway that does not answer it this fast is not there.
const GATEWAY_CHECK_TIMEOUT_MS = 10_000;

/**
 * Runs the smoke: plans the provider/models, calls each (through the gateway or direct), judges
 * each with what the pool knows, and reports progress as it goes. Throws only when the smoke cannot
 * run at all (exit 2); a provider that fails is a verdict, not an exception.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeRun> {
  const { context, log } = options;
  const plan = planSmoke(context.config, {
    full: options.full,
    ...(options.provider ? { provider: options.provider } : {}),
  });
  if (plan.items.length === 0) {
    throw new LlmgwError(
      `nothing to smoke: no enabled provider with configured models in ${context.globals.config}` +
        (plan.skipped.length > 0
          ? ` (${plan.skipped.map((entry) => `${entry.provider}: ${entry.why}`).join('; ')})`
          : ''),
    );
  }
  const progress = progressOf(log, plan.items.length);
  const hints = (item: SmokeItem): HintContext => ({
    ...item,
    configFile: context.globals.config,
    keysDir: context.globals.keysDir,
    proxiesDir: context.globals.proxiesDir,
    proxy: providerSettings(context.config, item.provider).proxy,
  });
  const judged = (item: SmokeItem, run: ItemRun, pool: PoolKnowledge) => {
    const result = judgeItem(item, run, pool, hints(item));
    progress(result);
    return result;
  };
  const limit = pLimit(options.concurrency);

  if (options.mode === 'gateway') {
    const target = gatewayTarget(context.config, { url: options.url, token: options.token });
    options.onGateway?.(target.url);
    log.info(
      { event: 'smoke.started', mode: 'gateway', gateway: target.url, total: plan.items.length },
      'smoke started',
    );
    await checkGateway(target, Math.min(GATEWAY_CHECK_TIMEOUT_MS, options.timeoutMs));
    const read = await readPoolForHints(context);
    const pool = poolKnowledge(read.rows, context.globals.keysDir);
    const results = await Promise.all(
      plan.items.map((item) =>
        limit(async () =>
          judged(item, await smokeThroughGateway(target, item, pool, options.timeoutMs), pool),
        ),
      ),
    );
    return { results, skipped: plan.skipped, poolReadable: pool.readable, notes: read.notes };
  }

  log.info({ event: 'smoke.started', mode: 'direct', total: plan.items.length }, 'smoke started');
  const database = await openDatabase(context);
  try {
    const providers = [...new Set(plan.items.map((item) => item.provider))];
    const triples = await listSmokeTriples(database.db, providers);
    const pool = poolKnowledge(triples, context.globals.keysDir);
    const http = createHttpClients(httpClientSettings(context.config));
    const deps = { http, credentials: createCredentialSource(http, Date.now), now: Date.now };
    try {
      const results = await Promise.all(
        plan.items.map(async (item) => {
          const mine = triples.filter(
            (row: SmokeTriple) => row.provider === item.provider && row.model === item.model,
          );
          const run = await runDirectItem(deps, context.config, mine, pool, {
            everyKey: options.full,
            maxKeys: context.config.gateway.max_attempts,
            timeoutMs: options.timeoutMs,
            limit,
          });
          return judged(item, run, pool);
        }),
      );
      return { results, skipped: plan.skipped, poolReadable: true, notes: [] };
    } finally {
      await http.close();
    }
  } finally {
    await database.close();
  }
}

/**
 * The pool's key files and lines, for hints. Read only from a PostgreSQL server: the embedded database
 * belongs to the running `llmgw start` (PGlite is single-process), so the smoke leaves it alone.
 * Not being able to read it weakens the hints; it never stops the smoke.
 */
async function readPoolForHints(context: AppContext): Promise<{ rows: PoolRow[] | null; notes: string[] }> {
  const url = context.config.database.url;
  if (!url) {
    return {
      rows: null,
      notes: [
        'no DATABASE_URL: key problems are named by key id only; `llmgw keys status` shows their files and lines',
      ],
    };
  }
  let database: Awaited<ReturnType<typeof createDatabase>> | undefined;
  try {
    database = await createDatabase({ url });
    return { rows: await listTriples(database.db, { limit: 1_000_000 }), notes: [] };
  } catch (error) {
    return {
      rows: null,
      notes: [
        `could not read the pool from the database (${describeDbError(error).message}): key problems are named by key id only`,
      ],
    };
  } finally {
    await database?.close().catch(() => undefined);
  }
}

/** One log line per finished provider/model: pretty on a TTY, JSON lines for a log pipeline. */
function progressOf(log: Logger, total: number): (result: SmokeResult) => void {
  let done = 0;
  return (result) => {
    done += 1;
    log.info(
      {
        event: 'smoke.checked',
        done,
        total,
        provider: result.provider,
        model: result.model,
        verdict: result.verdict,
        ...(result.reason ? { reason: result.reason } : {}),
        ...(result.latencyMs !== null ? { latencyMs: result.latencyMs } : {}),
      },
      `smoke ${done}/${total}: ${result.provider}/${result.model} ${result.verdict}`,
    );
  };
}

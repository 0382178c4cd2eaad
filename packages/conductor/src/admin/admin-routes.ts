import { LlmgwError } from '@llmgw/core';
import {
  type Database,
  findKeyRef,
  type KeyRef,
  listAdminKeys,
  listAuditLog,
  resetTriples,
  setKeyDisabled,
} from '@llmgw/db';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import { clientErrorResponse } from '../http/client-error.js';
import type { MetricSources } from '../metrics/gateway-metrics.js';
import { adminAuth } from './admin-auth.js';
import { parseCursor, parseKeyFilter, parseLimit, parsePositiveId } from './admin-query.js';
import { buildAdminStatus } from './admin-status.js';

export interface AdminRoutesDeps {
  database: Database;
  adminTokens: readonly string[];
  clientTokens: readonly string[];
  host: string;
  /** `keeper.leader_lock_id`: the status reports who holds it. */
  keeperLockId: number;
  /** In flight and queued now, read as `/metrics` reads them (the relay and the pool's gauge source). */
  live: MetricSources;
  now: () => number;
}

/** Who the audit log names for changes made here. */
export const ADMIN_ACTOR = 'admin';

/**
 * The admin API (SPEC §7), mounted at `/admin`: the pool's status, its keys page by page, the one
 * reset path, disable/enable, and the audit log. Keys appear only by id and mask; the queries behind
 * it never select the secret column.
 */
export function adminRoutes(deps: AdminRoutesDeps): Hono<AppEnv> {
  const { database, now } = deps;
  const startedAt = now();
  const routes = new Hono<AppEnv>();
  routes.use(
    '*',
    adminAuth({ adminTokens: deps.adminTokens, clientTokens: deps.clientTokens, host: deps.host }),
  );
  routes.use('*', async (c, next) => {
    await next();
    // Pool state changes every second and is for the operator's eyes only: never cache it.
    c.header('cache-control', 'no-store');
  });

  routes.get('/status', async (c) =>
    c.json(
      await buildAdminStatus({
        database,
        keeperLockId: deps.keeperLockId,
        live: deps.live,
        startedAt,
        now,
      }),
    ),
  );

  routes.get('/keys', async (c) => {
    const filter = parseKeyFilter(c.req.query());
    const page = await listAdminKeys(database.query, filter);
    return c.json({ ...page, limit: filter.limit, serverTime: new Date(now()).toISOString() });
  });

  routes.get('/keys/:id', async (c) => {
    const key = await requireKey(c, database);
    if (key instanceof Response) return key;
    return c.json(await keyDetail(database, key.keyId, now));
  });

  routes.post('/keys/:id/reset', async (c) => {
    const key = await requireKey(c, database);
    if (key instanceof Response) return key;
    if (key.removed) return conflict(`key ${key.keyId} was removed from keys/: there is nothing to reset`);
    if (key.disabled) {
      return conflict(
        `key ${key.keyId} is disabled: enable it (POST /admin/keys/${key.keyId}/enable) instead`,
      );
    }
    const model = c.req.query('model')?.trim() || undefined;
    // resetTriples itself never touches a disabled key (should one be disabled since the check above).
    const reset = await resetTriples(
      database.db,
      { provider: key.provider, keyId: key.keyId, ...(model ? { model } : {}) },
      { now: now(), actor: ADMIN_ACTOR, why: 'manual_reset' },
    );
    return c.json({ keyId: key.keyId, reset, key: await keyDetail(database, key.keyId, now) });
  });

  for (const action of ['disable', 'enable'] as const) {
    routes.post(`/keys/:id/${action}`, async (c) => {
      const key = await requireKey(c, database);
      if (key instanceof Response) return key;
      const result = await setKeyDisabled(database.db, key.keyId, action === 'disable', {
        now: now(),
        actor: ADMIN_ACTOR,
      });
      return c.json({
        keyId: key.keyId,
        changed: result.changed,
        triples: result.triples,
        key: await keyDetail(database, key.keyId, now),
      });
    });
  }

  routes.get('/keys/:id/history', async (c) => {
    const key = await requireKey(c, database);
    if (key instanceof Response) return key;
    const cursor = parseCursor(c.req.query('cursor'));
    const page = await listAuditLog(database.query, {
      keyId: key.keyId,
      limit: parseLimit(c.req.query('limit')),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({ keyId: key.keyId, ...page });
  });

  routes.get('/history', async (c) => {
    const cursor = parseCursor(c.req.query('cursor'));
    const page = await listAuditLog(database.query, {
      limit: parseLimit(c.req.query('limit')),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json(page);
  });

  return routes;
}

async function requireKey(c: Context<AppEnv>, database: Database): Promise<KeyRef | Response> {
  const keyId = parsePositiveId(c.req.param('id'), 'key id');
  const key = await findKeyRef(database.db, keyId);
  if (key) return key;
  return clientErrorResponse({
    status: 404,
    message: `No key with id ${keyId}: see GET /admin/keys for the pool's keys.`,
    type: 'invalid_request_error',
    code: 'key_not_found',
  });
}

/** The key as `GET /admin/keys` shows it, every triple included (removed ones too: it is one key). */
async function keyDetail(database: Database, keyId: number, now: () => number) {
  const page = await listAdminKeys(database.query, { keyId, includeRemoved: true, limit: 1 });
  const key = page.keys[0];
  if (!key) throw new LlmgwError(`key ${keyId} vanished while being read`);
  return { ...key, serverTime: new Date(now()).toISOString() };
}

function conflict(message: string): Response {
  return clientErrorResponse({ status: 409, message, type: 'invalid_request_error', code: 'conflict' });
}

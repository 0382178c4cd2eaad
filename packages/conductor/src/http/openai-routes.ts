import { type LlmgwConfig, modelGroupNames, providerNames, providerSettings } from '@llmgw/config';
import { type Context, Hono } from 'hono';
import { type CacheTicket, lookupCache } from '../cache/serve-cached.js';
import { relayOrJoin } from '../coalesce/relay-or-join.js';
import type {
  Candidate,
  CandidateTiers,
  NativeRequest,
  Pool,
  RelayInput,
  RelayResult,
} from '../contracts.js';
import { answerOffline, offlineMayAnswer } from '../offline/serve-offline.js';
import type { AppDeps } from './app-deps.js';
import type { AppEnv } from './app-env.js';
import { clientAbort, readBody } from './body-limit.js';
import { clientErrorResponse } from './client-error.js';
import { type ParsedRequest, parseRequest } from './parse-request.js';
import { relayResponse } from './relay-response.js';
import { requestHeader } from './request-header.js';
import { type Operation, type ResolveResult, resolveConfigured, resolveTiers } from './resolve-tiers.js';

/** `/v1/*` in OpenAI's wire format (SPEC §7); mounted behind auth and the body limit. */
export function openAiRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.post('/chat/completions', (c) => relayRequest(c, 'chat', deps));
  routes.post('/embeddings', (c) => relayRequest(c, 'embeddings', deps));
  routes.get('/models', async (c) => c.json(await listModels(deps.config, deps.pool)));
  return routes;
}

async function relayRequest(c: Context<AppEnv>, operation: Operation, deps: AppDeps): Promise<Response> {
  const read = await readBody(c, deps.config.gateway.body_limit);
  if (!read.ok) return clientErrorResponse(read.error);
  const parsed = parseRequest(read.text, operation);
  if (!parsed.ok) return clientErrorResponse(parsed.error);
  return relayResponse(await relayParsedRequest(c, deps, operation, parsed.request), c.env?.outgoing);
}

/**
 * Model → tiers → relay, for a request already read and parsed; shared with the other client surfaces
 * (`/v1/responses`, `/v1/messages`) so routing, failover and limits stay in one place. A model that
 * does not resolve is an error result without relay headers (the request-id middleware tags it).
 */
export async function relayParsedRequest(
  c: Context<AppEnv>,
  deps: AppDeps,
  operation: Operation,
  request: ParsedRequest,
  native?: NativeRequest,
): Promise<RelayResult> {
  const { body, model, stream } = request;
  const onlyProvider = requestHeader(c, 'x-llm-provider')?.trim() || undefined;
  let cacheTicket: CacheTicket | undefined;
  if (deps.cache !== undefined) {
    const cached = await lookupCache(c, deps, deps.cache, { operation, body, stream, onlyProvider });
    if (cached.hit !== undefined) return cached.hit;
    cacheTicket = cached.ticket;
  }
  const resolving = resolveWithPool(deps, { model, operation, onlyProvider });
  const resolved = resolving instanceof Promise ? await resolving : resolving;
  if (!resolved.ok) {
    // A model no provider may serve in this mode can still have a prepared answer (offline mode).
    const standIn =
      deps.offline !== undefined && resolved.error.code === 'model_not_found'
        ? answerOffline(c, deps, { operation, body, model, stream, requestId: c.get('requestId') })
        : undefined;
    return standIn ?? { kind: 'error', error: resolved.error, headers: {} };
  }

  const input: RelayInput = {
    operation,
    body,
    tiers: resolved.tiers,
    stream,
    requestId: c.get('requestId'),
    // Aborts when the client disconnects; the relay adds gateway.request_timeout itself, so it can
    // tell a client that left (no penalty) from a request over its budget (504).
    ...clientAbort(c),
    // On the gateway's own server the answer is written as soon as the relay returns.
    answersOnSocket: c.env?.outgoing !== undefined,
  };
  // Identical deterministic requests in flight share one call (gateway.coalescing; off by default);
  // a request that may be answered in its native format shares nothing with a chat one.
  let result: RelayResult;
  if (native === undefined || !mayServeNatively(deps.config, resolved.tiers)) {
    result = await relayOrJoin(deps, onlyProvider, input);
  } else {
    input.native = native;
    result = await deps.relay.relay(input);
  }
  const requestId = c.get('requestId');
  if (result.headers['x-request-id'] === undefined) result.headers['x-request-id'] = requestId;
  c.set('responseTagged', true);
  c.set('relayFacts', {
    provider: result.headers['x-llm-actual-provider'],
    model: result.headers['x-llm-actual-model'],
    attempts: result.headers['x-llm-attempts'],
  });
  // SPEC §8: when the providers failed the request, offline packages may still answer it.
  const answered =
    deps.offline !== undefined && offlineMayAnswer(result)
      ? (answerOffline(c, deps, {
          operation,
          body,
          model,
          stream,
          requestId,
          relayHeaders: result.headers,
        }) ?? result)
      : result;
  // The cache holds chat answers only: a native one is never stored under a chat request's key.
  const chatAnswer = answered.kind === 'error' || answered.format === undefined;
  return cacheTicket === undefined || !chatAnswer ? answered : cacheTicket.finish(answered);
}

/** Some candidate serves the client's API natively (`responses_api`), so the answer may be native. */
function mayServeNatively(config: LlmgwConfig, tiers: CandidateTiers): boolean {
  return tiers.some((tier) =>
    tier.some((candidate) => providerSettings(config, candidate.provider).responses_api),
  );
}

/**
 * The config first; only when it does not know the name and a provider lists its own models
 * (`models_from_api`, e.g. Ollama) is the pool asked what it discovered (only then asynchronously).
 */
function resolveWithPool(
  deps: AppDeps,
  request: { model: string; operation: Operation; onlyProvider: string | undefined },
): ResolveResult | Promise<ResolveResult> {
  const { config, pool } = deps;
  const fromConfig = resolveConfigured({ config, ...request });
  if (fromConfig.ok || fromConfig.error.code !== 'model_not_found') return fromConfig;
  const discovers = providerNames(config).some((name) => providerSettings(config, name).models_from_api);
  if (!discovers) return fromConfig;
  return pool.usableModels().then((discovered) => resolveTiers({ config, ...request, discovered }));
}

interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * Models with at least one usable triple as `provider/model`, plus the groups that can serve now;
 * what the current mode (LLM_GATEWAY_MODE) rules out is left out.
 */
export async function listModels(
  config: LlmgwConfig,
  pool: Pool,
): Promise<{ object: 'list'; data: ModelEntry[] }> {
  const usable = (await pool.usableModels()).filter((candidate) => allowedByMode(config, candidate));
  const ids = new Set(usable.map((candidate) => `${candidate.provider}/${candidate.model}`));
  const data: ModelEntry[] = [...ids].map((id) => ({
    id,
    object: 'model',
    created: 0,
    owned_by: id.slice(0, id.indexOf('/')),
  }));
  for (const group of modelGroupNames(config)) {
    const resolved = resolveTiers({ config, model: group, operation: 'chat', discovered: usable });
    const servable = resolved.ok && resolved.tiers.flat().some((c) => ids.has(`${c.provider}/${c.model}`));
    if (servable && !ids.has(group)) data.push({ id: group, object: 'model', created: 0, owned_by: 'llmgw' });
  }
  return { object: 'list', data };
}

function allowedByMode(config: LlmgwConfig, candidate: Candidate): boolean {
  const settings = config.providers[candidate.provider];
  if (!settings?.enabled) return false;
  const mode = config.gateway.mode;
  if (mode === 'online') return !settings.local;
  if (mode === 'offline') return settings.local;
  return true;
}

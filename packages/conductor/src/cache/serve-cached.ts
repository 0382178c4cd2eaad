import { describeDbError } from '@llmgw/db';
import type { Context } from 'hono';
import type { RelayHeaders, RelayResult } from '../contracts.js';
import type { AppDeps } from '../http/app-deps.js';
import type { AppEnv } from '../http/app-env.js';
import { requestHeader } from '../http/request-header.js';
import type { CacheResult } from '../metrics/contract.js';
import { OFFLINE_PROVIDER } from '../offline/offline-responder.js';
import { type CacheKeyInput, cacheKey, isDeterministic } from './cache-key.js';
import type { ResponseCache } from './response-cache.js';
import { captureSse, replaySse } from './sse-capture.js';

/** `x-llm-cache`: served from the cache, asked for and not there, skipped by the client, not cacheable. */
export type CacheHeader = CacheResult | 'skip';

/** What the route does after the relay: tags the answer and keeps it when it is cacheable. */
export interface CacheTicket {
  finish(result: RelayResult): Promise<RelayResult>;
}

export interface CacheLookup {
  /** A cached answer, in the relay's terms (OpenAI JSON or SSE), ready to send. */
  hit?: RelayResult;
  /** Otherwise, how to finish the response (absent when the route does not use the cache). */
  ticket?: CacheTicket;
}

/**
 * Before the relay: a cached answer for the same normalised request, unless the client says
 * `Cache-Control: no-cache` (bypass; the fresh answer still replaces the entry) or `no-store` (bypass,
 * nothing kept). A database that fails the lookup costs the request nothing but the cache.
 */
export async function lookupCache(
  c: Context<AppEnv>,
  deps: AppDeps,
  cache: ResponseCache,
  input: CacheKeyInput,
): Promise<CacheLookup> {
  if (!cache.serves(input.operation)) return {};
  if (!isDeterministic(input)) return { ticket: createTicket(deps, cache, 'skip', undefined) };
  const hash = cacheKey(input);
  const directives = cacheControl(requestHeader(c, 'cache-control'));
  if (directives.noStore) {
    deps.metrics?.cacheLookup('bypass');
    return { ticket: createTicket(deps, cache, 'bypass', undefined) };
  }
  if (directives.noCache) {
    deps.metrics?.cacheLookup('bypass');
    return { ticket: createTicket(deps, cache, 'bypass', hash) };
  }
  let cached: Awaited<ReturnType<ResponseCache['take']>>;
  try {
    cached = await cache.take(hash);
  } catch (error) {
    deps.log.warn({ event: 'cache.lookup_failed', error: errorText(error) }, 'response cache lookup failed');
  }
  if (cached === undefined || (input.stream ? cached.chunks === null : cached.body === null)) {
    deps.metrics?.cacheLookup('miss');
    return { ticket: createTicket(deps, cache, 'miss', hash) };
  }
  deps.metrics?.cacheLookup('hit');
  const requestId = c.get('requestId');
  const headers: RelayHeaders = {
    'x-request-id': requestId,
    'x-llm-cache': 'hit',
    'x-llm-actual-provider': cached.provider,
    'x-llm-actual-model': cached.model,
    'x-llm-attempts': '0',
  };
  c.set('responseTagged', true);
  c.set('relayFacts', { provider: cached.provider, model: cached.model, attempts: '0' });
  const hit: RelayResult =
    input.stream && cached.chunks !== null
      ? { kind: 'stream', body: replaySse(cached.chunks), headers }
      : { kind: 'json', status: cached.status, body: cached.body, headers };
  return { hit };
}

function createTicket(
  deps: AppDeps,
  cache: ResponseCache,
  header: CacheHeader,
  hash: string | undefined,
): CacheTicket {
  return {
    async finish(relayed) {
      // A copy: a coalesced answer's headers may be shared with requests whose cache verdict differs.
      const result: RelayResult = { ...relayed, headers: { ...relayed.headers, 'x-llm-cache': header } };
      const provider = result.headers['x-llm-actual-provider'];
      const model = result.headers['x-llm-actual-model'];
      // Offline packages answer for an outage; their answers must not outlive it in the cache.
      if (
        hash === undefined ||
        provider === undefined ||
        model === undefined ||
        provider === OFFLINE_PROVIDER
      ) {
        return result;
      }
      const store = async (entry: { body: unknown; chunks: string[] | null }) => {
        try {
          await cache.put({ hash, provider, model, status: 200, ...entry });
        } catch (error) {
          deps.log.warn(
            { event: 'cache.store_failed', error: errorText(error) },
            'response cache store failed',
          );
        }
      };
      if (result.kind === 'json' && result.status === 200) {
        // Stored before answering, so the client's next identical request finds it.
        await store({ body: result.body, chunks: null });
      } else if (result.kind === 'stream') {
        return { ...result, body: captureSse(result.body, (chunks) => store({ body: null, chunks })) };
      }
      return result;
    },
  };
}

function cacheControl(header: string | undefined): { noCache: boolean; noStore: boolean } {
  if (header === undefined) return { noCache: false, noStore: false };
  const directives = header
    .toLowerCase()
    .split(',')
    .map((directive) => directive.trim());
  return {
    noCache: directives.includes('no-cache') || directives.includes('max-age=0'),
    noStore: directives.includes('no-store'),
  };
}

/** The driver's message without the SQL and its parameters (which hold the cached answer). */
function errorText(error: unknown): string {
  return describeDbError(error).message;
}

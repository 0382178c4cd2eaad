import { Gauge, type Registry } from 'prom-client';
import type { AttemptRecord, Relay } from '../contracts.js';
import type { AttemptSink } from '../relay/types.js';
import type {
  AffinityResult,
  CacheResult,
  GatewayMetrics,
  PoolGaugeSource,
  RelayMetrics,
} from './contract.js';
import { counterFamily, histogramFamily, plainCounter } from './counter-family.js';
import { registerPoolGauges } from './pool-gauges.js';

/** Seconds; a whole request may stream for minutes. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Seconds until the upstream's first byte (headers for JSON, the first chunk for a stream). */
const TTFB_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const CACHE_RESULTS: readonly CacheResult[] = ['hit', 'miss', 'bypass'];
const AFFINITY_RESULTS: readonly AffinityResult[] = ['hit', 'miss', 'moved'];
/** Label value when no attempt was made (every tier refused): keeps client-sent names out of labels. */
const NONE = 'none';

export interface MetricSources {
  relay?: Pick<Relay, 'inflight'>;
  pool?: PoolGaugeSource;
}

/**
 * Everything the conductor exports (SPEC §9): the hooks of GatewayMetrics, the relay's own reports, and
 * an AttemptSink that counts attempts, tokens and upstream latency from the records the relay writes.
 */
export interface GatewayMetricsSet extends GatewayMetrics, RelayMetrics, AttemptSink {
  readonly registry: Registry;
  /** The relay and pool read at scrape time (inflight, queue depth, triples by state). */
  watch(sources: MetricSources): void;
}

export interface GatewayMetricsOptions {
  /** `gateway.queue.max_depth`, exported so "queue saturated" needs no copy of the config. */
  queueMaxDepth?: number;
}

/** Builds every conductor metric on `registry` (one per process; tests make their own). */
export function createGatewayMetrics(
  registry: Registry,
  options: GatewayMetricsOptions = {},
): GatewayMetricsSet {
  const requests = counterFamily(registry, {
    name: 'llm_gateway_requests_total',
    help: 'Requests answered by the relay, by the provider and model that answered last and the HTTP status',
    labelNames: ['provider', 'model', 'code'],
  });
  const durations = histogramFamily(registry, {
    name: 'llm_gateway_request_duration_seconds',
    help: 'Whole request time, to the last byte of a stream',
    labelNames: ['provider', 'stream'],
    buckets: DURATION_BUCKETS,
  });
  const fallbacks = counterFamily(registry, {
    name: 'llm_gateway_fallbacks_total',
    help: 'Requests moving on from a failed attempt to another triple, by provider and the failure reason',
    labelNames: ['from', 'to', 'reason'],
  });
  const attempts = counterFamily(registry, {
    name: 'llm_gateway_attempts_total',
    help: 'Upstream attempts by provider and outcome (ok, a SPEC failure reason, client_abort)',
    labelNames: ['provider', 'reason'],
  });
  const ttfb = histogramFamily(registry, {
    name: 'llm_gateway_upstream_ttfb_seconds',
    help: 'Time from sending an attempt upstream to its first byte',
    labelNames: ['provider'],
    buckets: TTFB_BUCKETS,
  });
  const tokens = counterFamily(registry, {
    name: 'llm_gateway_tokens_total',
    help: 'Tokens the upstreams reported, by kind (prompt, completion, cached)',
    labelNames: ['provider', 'model', 'kind'],
  });
  const offlineHits = plainCounter(
    registry,
    'llm_gateway_offline_hits_total',
    'Requests answered from offline packages',
  );
  const cache = counterFamily(registry, {
    name: 'llm_gateway_cache_total',
    help: 'Response-cache lookups by result',
    labelNames: ['result'],
  });
  const affinity = counterFamily(registry, {
    name: 'llm_gateway_affinity_total',
    help: "Leases by whether they honoured the conversation's pinned key",
    labelNames: ['result'],
  });
  const coalesced = plainCounter(
    registry,
    'llm_gateway_coalesced_total',
    "Requests that shared another request's upstream call",
  );
  // Known results start at 0, so dashboards and rate() see the series before the first event.
  for (const result of CACHE_RESULTS) cache.at1(result);
  for (const result of AFFINITY_RESULTS) affinity.at1(result);

  let sources: MetricSources = {};
  new Gauge({
    name: 'llm_gateway_inflight',
    help: 'Requests and streams in flight in this replica',
    registers: [registry],
    collect() {
      this.set(sources.relay?.inflight() ?? 0);
    },
  });
  new Gauge({
    name: 'llm_gateway_queue_depth',
    help: 'Requests waiting in the fair queue for capacity',
    registers: [registry],
    collect() {
      this.set(sources.pool?.queueDepth() ?? 0);
    },
  });
  const maxDepth = new Gauge({
    name: 'llm_gateway_queue_max_depth',
    help: 'gateway.queue.max_depth: beyond it requests get 429 at once',
    registers: [registry],
  });
  if (options.queueMaxDepth !== undefined) maxDepth.set(options.queueMaxDepth);
  registerPoolGauges(registry, () => sources.pool);

  return {
    registry,
    watch(next) {
      sources = { ...sources, ...next };
    },
    offlineHit() {
      offlineHits.value += 1;
    },
    cacheLookup(result) {
      cache.at1(result).value += 1;
    },
    affinity(result) {
      affinity.at1(result).value += 1;
    },
    coalesced() {
      coalesced.value += 1;
    },
    fallback(from, to, reason) {
      fallbacks.at3(from, to, reason).value += 1;
    },
    requestDone(provider, model, status, stream, durationMs) {
      const servedBy = provider ?? NONE;
      requests.at3(servedBy, model ?? NONE, statusText(status)).value += 1;
      durations.at2(servedBy, stream ? 'true' : 'false').observe(durationMs / 1000);
    },
    record(attempt: AttemptRecord) {
      const { provider } = attempt;
      attempts.at2(provider, attempt.outcome).value += 1;
      if (attempt.ttfbMs !== null) ttfb.at1(provider).observe(attempt.ttfbMs / 1000);
      const { model } = attempt;
      if (positive(attempt.promptTokens)) tokens.at3(provider, model, 'prompt').value += attempt.promptTokens;
      if (positive(attempt.completionTokens)) {
        tokens.at3(provider, model, 'completion').value += attempt.completionTokens;
      }
      if (positive(attempt.cachedTokens)) tokens.at3(provider, model, 'cached').value += attempt.cachedTokens;
    },
  };
}

const STATUS_TEXT = new Map<number, string>();

/** The status as a label value, made once per status (String(n) allocates on every call). */
function statusText(status: number): string {
  let text = STATUS_TEXT.get(status);
  if (text === undefined) {
    text = String(status);
    STATUS_TEXT.set(status, text);
  }
  return text;
}

function positive(count: number | null): count is number {
  return count !== null && count > 0;
}

/** The attempts table and the metrics both get every record. */
export function teeAttemptSink(...sinks: AttemptSink[]): AttemptSink {
  return {
    record(attempt) {
      for (const sink of sinks) sink.record(attempt);
    },
  };
}

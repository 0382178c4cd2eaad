import { Counter, Gauge, type Registry } from 'prom-client';

/** What the keeper's parts report (SPEC §9 `llm_keeper_*`). Cheap, never throws. */
export interface KeeperMetrics {
  /** A finished probe of a triple of `provider`: `ok` or the failure reason it was classified as. */
  probe(provider: string, outcome: string): void;
  /** Read at scrape time: whether this process holds the keeper leader lock now. */
  watchLeader(isLeader: () => boolean): void;
}

/**
 * The keeper's metrics on `registry`: the worker's own (served on keeper.metrics_port), or the
 * conductor's in `llmgw start`, so one `/metrics` has both.
 */
export function createKeeperMetrics(registry: Registry): KeeperMetrics {
  const probes = new Counter({
    name: 'llm_keeper_probes_total',
    help: 'Probes the leading keeper ran, by provider and outcome (ok or the failure reason)',
    labelNames: ['provider', 'reason'],
    registers: [registry],
  });
  let isLeader: () => boolean = () => false;
  new Gauge({
    name: 'llm_keeper_leader',
    help: 'Whether this keeper holds the leader lock (1) or stands by (0); exactly one should be 1',
    registers: [registry],
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  return {
    // Probes are few (a batch every few seconds at most): prom-client's labelled inc is cheap enough.
    probe(provider, outcome) {
      probes.inc({ provider, reason: outcome });
    },
    watchLeader(read) {
      isLeader = read;
    },
  };
}

import { TRIPLE_STATES } from '@llmgw/core';
import { Gauge, type Registry } from 'prom-client';
import type { PoolGaugeSource } from './contract.js';

interface ProviderCounts {
  byState: Map<string, number>;
  usable: number;
  total: number;
}

/**
 * Pool health from this replica's in-memory view (refreshed from Postgres every second), counted when
 * Prometheus scrapes: no database round trip per scrape and nothing on the request path. Every state
 * of a provider with triples is exported, zeros included, so a stacked panel never loses a series.
 */
export function registerPoolGauges(registry: Registry, source: () => PoolGaugeSource | undefined): void {
  let counts: Map<string, ProviderCounts> | undefined;
  // The three gauges are collected in the same synchronous pass of a scrape: count the view once.
  const count = () => {
    if (counts !== undefined) return counts;
    const fresh = new Map<string, ProviderCounts>();
    counts = fresh;
    queueMicrotask(() => {
      counts = undefined;
    });
    source()?.forEachTriple((provider, state, usable) => {
      let entry = fresh.get(provider);
      if (entry === undefined) {
        entry = { byState: new Map(), usable: 0, total: 0 };
        fresh.set(provider, entry);
      }
      entry.byState.set(state, (entry.byState.get(state) ?? 0) + 1);
      entry.total += 1;
      if (usable) entry.usable += 1;
    });
    return fresh;
  };

  new Gauge({
    name: 'llm_gateway_triples',
    help: "Triples (key × model) in this replica's view of the pool, by provider and state",
    labelNames: ['provider', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [provider, entry] of count()) {
        for (const state of TRIPLE_STATES) {
          if (state !== 'removed') this.set({ provider, state }, entry.byState.get(state) ?? 0);
        }
      }
    },
  });
  new Gauge({
    name: 'llm_gateway_triples_usable',
    help: 'Triples that can be leased now (live, enabled, outside every cooldown), by provider',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [provider, entry] of count()) this.set({ provider }, entry.usable);
    },
  });
  new Gauge({
    name: 'llm_gateway_pool_usable_ratio',
    help: 'Usable triples / all triples of the provider (0-1)',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [provider, entry] of count()) this.set({ provider }, entry.usable / entry.total);
    },
  });
}

import { setFlagsFromString } from 'node:v8';
import type { Environment } from '@llmgw/config';
import { LlmgwError } from '@llmgw/core';

/**
 * V8 lets the old generation grow to 4× what survived the last full GC on a machine with a few GB of
 * RAM. A gateway's live heap is small (≈20 MB) but under load it promotes request-scoped garbage at
 * ≈10 MB/s (objects that outlive two scavenges at 50 connections), so RSS reached 205–210 MB before
 * each full GC. 1.5× keeps it at 140–175 MB at 50 connections; the extra full GCs mark only the
 * small live set and did not show above run-to-run noise in CPU per request (docs/design/conductor.md).
 */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * The V8 flag to set for a long-running command, or null to leave V8's own factor: when the operator
 * gave `node --heap-growing-percent`, or set `LLMGW_HEAP_GROWING_PERCENT=0`. Another whole number in
 * that variable replaces the default 50; anything else is refused with the variable's name.
 */
export function heapGrowthFlag(execArgv: readonly string[], env: Environment): string | null {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return null;
  const chosen = env.LLMGW_HEAP_GROWING_PERCENT?.trim();
  if (chosen === undefined || chosen === '') return `${FLAG}=${HEAP_GROWING_PERCENT}`;
  if (!/^\d{1,4}$/.test(chosen)) {
    throw new LlmgwError(
      `LLMGW_HEAP_GROWING_PERCENT must be a whole number of per cent (0 = V8's default), not "${chosen}"`,
    );
  }
  const percent = Number(chosen);
  return percent === 0 ? null : `${FLAG}=${percent}`;
}

/**
 * Applies `heapGrowthFlag` to this process. V8 reads the factor each time it sizes the old generation
 * after a full GC, so setting it at start-up takes effect.
 */
export function tuneHeapGrowth(env: Environment, execArgv: readonly string[] = process.execArgv): void {
  const flag = heapGrowthFlag(execArgv, env);
  if (flag !== null) setFlagsFromString(flag);
}

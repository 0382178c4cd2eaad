import { type Classification, isLlmgwError, type RateLimitHints, type TripleOutcome } from '@llmgw/core';
import { isClientAbort, isHttpTransportError } from '@llmgw/http';
import { sendUpstream, type UpstreamDeps } from './send-upstream.js';
import type { UpstreamTarget } from './target.js';
import { isUpstreamCallError } from './upstream-call-error.js';

export interface ProbeResult {
  outcome: TripleOutcome;
  latencyMs: number;
  status?: number;
  hints?: RateLimitHints;
}

/**
 * The keeper's probe of one triple: the provider's cheapest sufficient call (a 1-token chat, or the
 * models list where that proves the model is served), classified exactly like real traffic.
 */
export async function probeTriple(
  deps: UpstreamDeps,
  target: UpstreamTarget,
  model: string,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const started = deps.now();
  const byModels = target.settings.probeMethod === 'models';
  try {
    const { response } = await sendUpstream(
      deps,
      target,
      (ctx) =>
        byModels ? target.adapter.buildModelsRequest(ctx) : target.adapter.buildProbeRequest(ctx, model),
      signal ? { signal } : {},
    );
    const hints = target.adapter.readRateLimitHints(response.headers, deps.now());
    const body = await response.text();
    const latencyMs = deps.now() - started;
    if (byModels && !target.adapter.parseModelsResponse(body).includes(model)) {
      return {
        outcome: {
          kind: 'failure',
          status: response.status,
          classification: {
            reason: 'model_unavailable',
            scope: 'triple',
            message: 'model not in the key’s model list',
          },
        },
        latencyMs,
        status: response.status,
        hints,
      };
    }
    return { outcome: { kind: 'ok', latencyMs }, latencyMs, status: response.status, hints };
  } catch (error) {
    const latencyMs = deps.now() - started;
    if (isClientAbort(error)) return { outcome: { kind: 'client_abort' }, latencyMs };
    const failed = (classification: Classification, status?: number): ProbeResult => ({
      outcome: { kind: 'failure', classification, ...(status ? { status } : {}) },
      latencyMs,
      ...(status ? { status } : {}),
    });
    if (isUpstreamCallError(error)) return failed(error.classification, error.failure.status);
    // The body of a 2xx can still fail on its way (cut, stalled) or be unreadable: that is the
    // upstream's failure like any other, not an error of the probe.
    if (isHttpTransportError(error)) {
      const failure = { transport: error.transport, code: error.code };
      return failed(target.adapter.classifyFailure(failure, deps.now()));
    }
    if (isLlmgwError(error) && error.reason !== undefined) {
      return failed({ reason: error.reason, scope: 'triple', message: error.message }, error.status);
    }
    throw error;
  }
}

import type { AbortWatch, UpstreamFailure, UpstreamRequest } from '@llmgw/core';
import { type HttpClients, isHttpTransportError, type UpstreamResponse } from '@llmgw/http';
import { type CallContext, shouldRefreshToken } from '@llmgw/providers';
import type { CredentialSource } from './credentials.js';
import { readFailure } from './read-failure.js';
import type { UpstreamTarget } from './target.js';
import { isUpstreamCallError, UpstreamCallError } from './upstream-call-error.js';

export interface UpstreamDeps {
  http: HttpClients;
  credentials: CredentialSource;
  now: () => number;
}

export interface UpstreamCall {
  /** A 2xx response; its body is the caller's to consume (or `dump()`). */
  response: UpstreamResponse;
  /** Milliseconds until the response headers arrived. */
  ttfbMs: number;
}

/**
 * The one road to an upstream, for probes and real traffic alike: credential (OAuth token where the
 * provider needs one), send through the key's route, and classify anything that is not a 2xx into
 * exactly one reason. Throws `UpstreamCallError` (classified) or the http layer's `ClientAbortError`.
 */
export async function sendUpstream(
  deps: UpstreamDeps,
  target: UpstreamTarget,
  build: (ctx: CallContext) => UpstreamRequest,
  options: { signal?: AbortWatch; requestId?: string; onDropped?: (parameter: string) => void } = {},
): Promise<UpstreamCall> {
  const started = deps.now();
  const send = {
    route: target.route,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(target.caFile ? { caFile: target.caFile } : {}),
    ...(target.timeouts ? { timeouts: target.timeouts } : {}),
  };
  for (let attempt = 1; ; attempt += 1) {
    let credential: string;
    let response: UpstreamResponse;
    try {
      // A static key is there already: no promise to wait on for the common case.
      const pending = deps.credentials.credentialFor(target, options.signal);
      credential = typeof pending === 'string' ? pending : await pending;
      const ctx: CallContext = {
        settings: target.settings,
        credential,
        ...(options.requestId ? { requestId: options.requestId } : {}),
        ...(options.onDropped ? { onDropped: options.onDropped } : {}),
      };
      response = await deps.http.send(build(ctx), send);
    } catch (error) {
      throw classifiedTransport(target, deps, error);
    }
    if (response.status < 400) return { response, ttfbMs: deps.now() - started };

    const failure = await readFailure(response);
    // An OAuth token can expire or be revoked early: refresh once and retry once; a second 401 is the key.
    if (attempt === 1 && target.settings.auth === 'oauth' && shouldRefreshToken(failure)) {
      deps.credentials.invalidate(target, credential);
      continue;
    }
    throw classified(target, deps, failure);
  }
}

/** A transport failure (the token call's or the call's) classified; anything else passes unchanged. */
function classifiedTransport(target: UpstreamTarget, deps: UpstreamDeps, error: unknown): unknown {
  if (isUpstreamCallError(error) || !isHttpTransportError(error)) return error;
  return classified(target, deps, { transport: error.transport, code: error.code });
}

function classified(target: UpstreamTarget, deps: UpstreamDeps, failure: UpstreamFailure): UpstreamCallError {
  return new UpstreamCallError(failure, target.adapter.classifyFailure(failure, deps.now()));
}

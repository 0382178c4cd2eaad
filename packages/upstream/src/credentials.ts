import type { AbortWatch } from '@llmgw/core';
import type { HttpClients } from '@llmgw/http';
import { buildTokenRequest, createGigachatTokenCache, parseTokenResponse } from '@llmgw/providers';
import { readFailure } from './read-failure.js';
import type { UpstreamTarget } from './target.js';
import { UpstreamCallError } from './upstream-call-error.js';

/** Turns a key into what goes on the wire: the key itself, or an OAuth access token obtained with it. */
export interface CredentialSource {
  /** The secret itself for a static key (no promise on the hot path); a token fetch for OAuth. */
  credentialFor(target: UpstreamTarget, signal?: AbortWatch): string | Promise<string>;
  /** A call was refused with `credential`: forget it so the next call refreshes (once, however many saw it). */
  invalidate(target: UpstreamTarget, credential: string): void;
}

/**
 * GigaChat tokens are cached per key and refreshed single-flight by the token cache; the OAuth call
 * itself goes through the key's own route (its proxy), like every other call of that key.
 */
export function createCredentialSource(http: HttpClients, now: () => number = Date.now): CredentialSource {
  // The token cache hands its fetcher only the authorization key, so the call's route is looked up here.
  const targets = new Map<string, UpstreamTarget>();
  const tokens = createGigachatTokenCache({
    now,
    fetchToken: async (authKey, signal) => {
      const target = targets.get(authKey);
      if (!target) throw new Error('no route known for this key');
      // The provider's timeouts bound the OAuth call too: a hanging token endpoint is the provider's timeout.
      const response = await http.send(buildTokenRequest(target.settings, authKey), {
        route: target.route,
        signal,
        ...(target.caFile ? { caFile: target.caFile } : {}),
        ...(target.timeouts ? { timeouts: target.timeouts } : {}),
      });
      if (response.status >= 400) {
        const failure = await readFailure(response);
        throw new UpstreamCallError(failure, target.adapter.classifyFailure(failure, now()));
      }
      return parseTokenResponse(await response.text());
    },
  });
  return {
    credentialFor(target, signal) {
      if (target.settings.auth !== 'oauth') return target.secret;
      targets.set(target.secret, target);
      return tokens.getToken(target.keyId, target.secret, signal);
    },
    invalidate(target, credential) {
      if (target.settings.auth === 'oauth') tokens.invalidate(target.keyId, credential);
    },
  };
}

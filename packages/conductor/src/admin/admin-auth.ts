import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import { bearerToken, digest, matchesAny, unauthorized } from '../http/auth.js';
import { clientErrorResponse } from '../http/client-error.js';
import { isLoopbackHost } from '../http/loopback.js';

export interface AdminAuthOptions {
  adminTokens: readonly string[];
  clientTokens: readonly string[];
  /** Where the conductor binds (`gateway.host`): the open mode needs loopback. */
  host: string;
}

/**
 * Who may use `/admin/*`:
 * - admin tokens configured: `Authorization: Bearer <admin token>`; none or an unknown token → 401,
 *   a valid client token → 403 (authenticated, not allowed);
 * - no admin token, but client tokens: the admin API is off → 403 saying how to turn it on (a gateway
 *   that guards its clients must not leave its pool controls open);
 * - no token of any kind and a loopback bind: open, like the rest of the gateway — but only to requests
 *   addressed to a loopback host and not sent cross-origin by a browser, so neither a web page the
 *   operator visits (CSRF) nor a DNS-rebinding name can reach it.
 * Tokens are compared as SHA-256 digests in constant time (see http/auth.ts).
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler<AppEnv> {
  const adminDigests = options.adminTokens.map(digest);
  const clientDigests = options.clientTokens.map(digest);
  const open = adminDigests.length === 0 && clientDigests.length === 0 && isLoopbackHost(options.host);
  return async function adminAuthMiddleware(c, next) {
    if (open) {
      const refusal = openModeRefusal(c.req.header('host'), c.req.header('origin'));
      return refusal ?? next();
    }
    if (adminDigests.length === 0) {
      return forbidden(
        'The admin API is off: no admin token is configured. Set gateway.admin_tokens in config/providers.yaml ' +
          '(or LLMGW_ADMIN_TOKENS=token1,token2) and send "Authorization: Bearer <admin token>".',
        'admin_disabled',
      );
    }
    const presented = bearerToken(c.req.header('authorization'));
    if (presented === undefined) {
      return unauthorized(
        'Missing admin token: send "Authorization: Bearer <token>" with one of gateway.admin_tokens.',
      );
    }
    const presentedDigest = digest(presented);
    if (matchesAny(presentedDigest, adminDigests)) return next();
    if (matchesAny(presentedDigest, clientDigests)) {
      return forbidden(
        'This is a client token, not an admin token: the admin API needs one of gateway.admin_tokens.',
        'insufficient_permissions',
      );
    }
    // Never echo the presented token: it may be a real key sent to the wrong place.
    return unauthorized('Invalid admin token: the bearer token is not one of gateway.admin_tokens.');
  };
}

function openModeRefusal(host: string | undefined, origin: string | undefined): Response | null {
  const hostname = hostOf(host === undefined ? undefined : `http://${host}`);
  if (hostname === undefined || !isLoopbackHost(hostname)) {
    return forbidden(
      'The admin API without tokens answers only requests addressed to localhost: set gateway.admin_tokens ' +
        '(or LLMGW_ADMIN_TOKENS) to use it under another name.',
      'admin_loopback_only',
    );
  }
  // A browser names the page's origin on cross-origin requests; the dashboard itself is same-origin.
  if (origin !== undefined && authorityOf(origin) !== host?.toLowerCase()) {
    return forbidden('Cross-origin admin requests are refused.', 'cross_origin');
  }
  return null;
}

function authorityOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The host name of a URL (brackets of IPv6 literals kept, as isLoopbackHost expects them). */
function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function forbidden(message: string, code: string): Response {
  return clientErrorResponse({ status: 403, message, type: 'permission_error', code });
}

/**
 * Error codes of the proxy phase (TCP to the proxy, CONNECT). undici's `ProxyAgent` reports a refused
 * CONNECT as `UND_ERR_ABORTED` (the same code as a caller's abort) and a dead proxy with the same
 * `ECONNREFUSED` as a dead upstream, so the tunnel is built here and its failures carry their own codes.
 * The prefix also keeps undici's connect-error special cases (`UND_ERR_SOCKET` is retried, not failed;
 * `ERR_TLS_CERT_ALTNAME_INVALID` is handled per servername) away from proxy errors.
 */
export const PROXY_CODE_PREFIX = 'PROXY_';

/** The proxy answered CONNECT with something other than 2xx: `PROXY_STATUS_407`, `PROXY_STATUS_502`… */
export const PROXY_STATUS_PREFIX = 'PROXY_STATUS_';

/** The proxy took the connection but did not answer CONNECT within the connect timeout. */
export const PROXY_TUNNEL_TIMEOUT = 'PROXY_TUNNEL_TIMEOUT';

/** The configured proxy URL cannot be used at all. */
export const PROXY_INVALID_URL = 'PROXY_INVALID_URL';

export type { HttpSettings } from './dispatcher.js';
export { createHttpClients, type HttpClients, type HttpStats, type SendOptions } from './http-clients.js';
export {
  PROXY_CODE_PREFIX,
  PROXY_INVALID_URL,
  PROXY_STATUS_PREFIX,
  PROXY_TUNNEL_TIMEOUT,
} from './proxy-codes.js';
export type { UpstreamResponse } from './response.js';
export { describeRoute, type ProxyEndpoint, parseProxyUrl, type Route } from './route.js';
export {
  ClientAbortError,
  classifyTransportError,
  HttpTransportError,
  isClientAbort,
  isHttpTransportError,
  type TransportClassification,
} from './transport-error.js';

export { type CredentialSource, createCredentialSource } from './credentials.js';
export { type ProbeResult, probeTriple } from './probe.js';
export { readFailure } from './read-failure.js';
export { sendUpstream, type UpstreamCall, type UpstreamDeps } from './send-upstream.js';
export type { UpstreamTarget } from './target.js';
export { adapterSettings, httpClientSettings, type TargetKey, upstreamTarget } from './target-from-config.js';
export { isUpstreamCallError, UpstreamCallError } from './upstream-call-error.js';

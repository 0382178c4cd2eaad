export { anthropicAdapter, anthropicDefaults } from './anthropic/index.js';
export { geminiAdapter, geminiDefaults } from './gemini/index.js';
export {
  buildTokenRequest,
  createGigachatTokenCache,
  type GigachatSettings,
  type GigachatToken,
  type GigachatTokenCache,
  type GigachatTokenCacheOptions,
  gigachatAdapter,
  gigachatDefaults,
  parseTokenResponse,
  shouldRefreshToken,
  TOKEN_REFRESH_AHEAD_MS,
} from './gigachat/index.js';
export { openAiLikeAdapter, openAiLikeDefaults } from './openai-like/index.js';
export type * from './openai-types.js';
export { adapterFor } from './registry.js';
export { parseDuration } from './shared/durations.js';
export { verbatimJson } from './shared/json.js';
export {
  invalidParameter,
  isRequestRefusal,
  type RefusalCode,
  type RequestRefusal,
  unsupportedParameter,
} from './shared/refusal.js';
export { parseResetStamp, parseRetryAfter, type RetryHint, readRetryHeaders } from './shared/retry-after.js';
export { createSseDecoder, type SseDecoder, type SseEvent } from './shared/sse.js';
export { isUpstreamStreamError, STREAM_TRUNCATED } from './shared/stream-error.js';
export type {
  AuthScheme,
  CallContext,
  ProviderAdapter,
  ProviderFeatures,
  ProviderSettings,
  ResponsesApi,
  ResponsesStreamParser,
  ResponsesStreamStep,
  StreamContext,
  StreamParser,
  UpstreamStreamError,
} from './types.js';

import type { ProviderAdapter } from '../types.js';
import { classifyFailure, readRateLimitHints } from './errors.js';
import {
  buildChatRequest,
  buildEmbeddingsRequest,
  buildModelsRequest,
  buildProbeRequest,
} from './request.js';
import { parseChatResponse, parseEmbeddingsResponse, parseModelsResponse } from './response.js';
import { createStreamParser } from './stream.js';

export { type GigachatSettings, gigachatDefaults, TOKEN_REFRESH_AHEAD_MS } from './config.js';
export { shouldRefreshToken } from './errors.js';
export { buildTokenRequest } from './request.js';
export { type GigachatToken, parseTokenResponse } from './response.js';
export {
  createGigachatTokenCache,
  type GigachatTokenCache,
  type GigachatTokenCacheOptions,
} from './token-cache.js';

/** `CallContext.credential` is the access token from the token cache, not the authorization key. */
export const gigachatAdapter: ProviderAdapter = {
  type: 'gigachat',
  /** One function call per answer; images need uploaded files, which the gateway does not do. */
  features: {
    tools: true,
    parallelTools: false,
    images: false,
    jsonObject: true,
    jsonSchema: true,
    reasoning: true,
    embeddings: true,
  },
  buildChatRequest,
  parseChatResponse,
  createStreamParser,
  buildEmbeddingsRequest,
  parseEmbeddingsResponse,
  buildModelsRequest,
  parseModelsResponse,
  buildProbeRequest,
  classifyFailure,
  readRateLimitHints,
};

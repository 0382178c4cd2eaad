import type { ProviderAdapter } from '../types.js';
import { classifyFailure, readRateLimitHints } from './errors.js';
import { buildChatRequest, buildModelsRequest, buildProbeRequest } from './request.js';
import { parseChatResponse, parseModelsResponse } from './response.js';
import { createStreamParser } from './stream.js';

export { anthropicDefaults } from './config.js';

/** No embeddings: Anthropic has no embeddings endpoint. */
export const anthropicAdapter: ProviderAdapter = {
  type: 'anthropic',
  /** JSON output rides on a forced tool (request.ts says why); no embeddings endpoint exists. */
  features: {
    tools: true,
    parallelTools: true,
    images: true,
    jsonObject: true,
    jsonSchema: true,
    reasoning: true,
    embeddings: false,
  },
  buildChatRequest,
  parseChatResponse,
  createStreamParser,
  buildModelsRequest,
  parseModelsResponse,
  buildProbeRequest,
  classifyFailure,
  readRateLimitHints,
};

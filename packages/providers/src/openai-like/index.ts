import type { ProviderAdapter } from '../types.js';
import { classifyFailure, readRateLimitHints } from './errors.js';
import {
  buildChatRequest,
  buildEmbeddingsRequest,
  buildModelsRequest,
  buildProbeRequest,
} from './request.js';
import { parseChatResponse, parseEmbeddingsResponse, parseModelsResponse } from './response.js';
import { openAiResponsesApi } from './responses.js';
import { createStreamParser } from './stream.js';

export { openAiLikeDefaults } from './config.js';

export const openAiLikeAdapter: ProviderAdapter = {
  type: 'openai_like',
  /** Passthrough: whatever the upstream supports reaches it untouched. */
  features: {
    tools: true,
    parallelTools: true,
    images: true,
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
  responses: openAiResponsesApi,
  buildModelsRequest,
  parseModelsResponse,
  buildProbeRequest,
  classifyFailure,
  readRateLimitHints,
};

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

export { geminiDefaults } from './config.js';

export const geminiAdapter: ProviderAdapter = {
  type: 'gemini',
  /** Tools (parallel too), images, JSON mode and schemas, thinking, embeddings. */
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
  buildModelsRequest,
  parseModelsResponse,
  buildProbeRequest,
  classifyFailure,
  readRateLimitHints,
};

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

export { openAiLikeDefaults } from './config.js';

export const openAiLikeAdapter: ProviderAdapter = {
  type: 'openai_like',
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

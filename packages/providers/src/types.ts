import type {
  Classification,
  LlmgwError,
  ProviderType,
  RateLimitHints,
  UpstreamFailure,
  UpstreamRequest,
} from '@llmgw/core';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from './openai-types.js';

export type AuthScheme = 'bearer' | 'x-api-key' | 'x-goog-api-key' | 'oauth' | 'none';

/** Everything an adapter needs to know about one configured provider (already merged and validated). */
export interface ProviderSettings {
  type: ProviderType;
  name: string;
  /** Includes the version path, e.g. `https://api.openai.com/v1`; no trailing slash needed. */
  baseUrl: string;
  auth: AuthScheme;
  /** Extra headers sent on every call (attribution headers, organisation ids). */
  headers: Record<string, string>;
  /** Anthropic: the `anthropic-version` header. */
  apiVersion?: string;
  /** Anthropic requires `max_tokens`; used when the caller gave none. */
  maxTokensDefault?: number;
  /** GigaChat: where and for which scope access tokens are obtained. */
  oauth?: { url: string; scope: string };
  probeMethod: 'chat' | 'models';
  /**
   * `drop_unsupported: true`: a request parameter this provider cannot honour is left out (and
   * reported through `CallContext.onDropped`) instead of refused with 400 `unsupported_parameter`.
   */
  dropUnsupported?: boolean;
}

export interface CallContext {
  settings: ProviderSettings;
  /** The API key, or for GigaChat the access token obtained with the key. */
  credential: string;
  requestId?: string;
  /** Told the name of every parameter left out under `dropUnsupported` (the caller logs it). */
  onDropped?: (parameter: string) => void;
}

/** What a provider type can honour, as the README's feature table states it; tests hold the two together. */
export interface ProviderFeatures {
  tools: boolean;
  parallelTools: boolean;
  images: boolean;
  jsonObject: boolean;
  jsonSchema: boolean;
  reasoning: boolean;
  embeddings: boolean;
}

export interface StreamContext {
  /** The upstream model name, used where the upstream's chunks do not name one. */
  model: string;
  requestId: string;
  /** Unix seconds; defaults to the time the parser was created. */
  created?: number;
}

/**
 * Turns raw stream bytes into OpenAI chunks. Both methods throw an `UpstreamStreamError` when the
 * upstream's stream carried an error event, was malformed, or (from `end()`) ended without its
 * terminator; chunks decoded before the failure travel on the error so none are lost.
 */
export interface StreamParser {
  push(data: Uint8Array | string): ChatCompletionChunk[];
  end(): ChatCompletionChunk[];
}

/** What a failed stream reports: the facts (for `classifyFailure`), the verdict, and chunks before it. */
export type UpstreamStreamError = LlmgwError & {
  readonly failure: UpstreamFailure;
  readonly classification: Classification;
  readonly chunks: ChatCompletionChunk[];
};

export interface ProviderAdapter {
  type: ProviderType;
  features: ProviderFeatures;
  /**
   * `body.model` is already the upstream model name; `body.stream` decides stream vs not. Translating
   * adapters throw a `RequestRefusal` (before any call is made) for what they cannot honour.
   */
  buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest;
  /** Only called on 2xx. */
  parseChatResponse(status: number, headers: Record<string, string>, bodyText: string): ChatCompletion;
  createStreamParser(ctx: StreamContext): StreamParser;
  buildEmbeddingsRequest?(ctx: CallContext, body: EmbeddingsRequest): UpstreamRequest;
  parseEmbeddingsResponse?(bodyText: string, model: string): EmbeddingsResponse;
  buildModelsRequest(ctx: CallContext): UpstreamRequest;
  parseModelsResponse(bodyText: string): string[];
  /** The cheapest call that proves the triple works: a 1-token chat, or the models list. */
  buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest;
  /** Exactly one SPEC §5 reason, with the upstream's own hint of when to come back. */
  classifyFailure(failure: UpstreamFailure, now: number): Classification;
  readRateLimitHints(headers: Record<string, string>, now: number): RateLimitHints;
}

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
  Usage,
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

/**
 * The OpenAI Responses API served natively (`POST <base_url>/responses`), for providers configured with
 * `responses_api: true`: the client's body goes out unchanged but for `model`, and the answer comes
 * back as it was sent, read only for usage and for failures.
 */
export interface ResponsesApi {
  buildRequest(ctx: CallContext, body: Record<string, unknown>): UpstreamRequest;
  /** Only called on 2xx; throws an `LlmgwError` with a reason for a body that reports a failure. */
  parseResponse(
    status: number,
    bodyText: string,
  ): { body: Record<string, unknown>; usage: Usage | undefined };
  createStreamParser(): ResponsesStreamParser;
}

/** What one read of a Responses stream gave. */
export interface ResponsesStreamStep {
  /** Whole SSE events for the client, framed as the upstream sent them ('' when none is complete yet). */
  text: string;
  /** The final event (`response.completed`/`response.incomplete`) came: the stream is over. */
  complete: boolean;
  /** The stream failed: an `error`/`response.failed` event, an unreadable event, or no final event. */
  error?: UpstreamStreamError;
  /** `text` already ends with the upstream's own error events, so nothing needs adding for the client. */
  reported?: boolean;
}

/** Reads a Responses event stream without changing it. After `complete` or `error`, it reads no more. */
export interface ResponsesStreamParser {
  push(data: Uint8Array | string): ResponsesStreamStep;
  /** The body ended: what was pending, and an error unless the final event had come. */
  end(): ResponsesStreamStep;
  /** In chat terms (prompt/completion/cached), from the final event's Response. */
  usage(): Usage | undefined;
  /**
   * Events that end a stream broken on our side (a cut socket, a timeout): `error`, then
   * `response.failed` with the Response `response.created` announced, numbered after the last event.
   */
  failureEvents(error: { code: string; message: string }): string;
}

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
  /** The native Responses API; absent = `/v1/responses` is always translated to chat for this type. */
  responses?: ResponsesApi;
  buildModelsRequest(ctx: CallContext): UpstreamRequest;
  parseModelsResponse(bodyText: string): string[];
  /** The cheapest call that proves the triple works: a 1-token chat, or the models list. */
  buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest;
  /** Exactly one SPEC §5 reason, with the upstream's own hint of when to come back. */
  classifyFailure(failure: UpstreamFailure, now: number): Classification;
  readRateLimitHints(headers: Record<string, string>, now: number): RateLimitHints;
}

import type { FailureStatus, RateLimitState, StatusBehavior } from './behaviors.js';
import type { ReplyPlan } from './reply.js';

export type Provider = 'openai' | 'gemini' | 'gigachat' | 'anthropic';

export type Operation =
  | 'chat'
  | 'embeddings'
  | 'batch_embeddings'
  | 'models'
  | 'model'
  | 'count_tokens'
  | 'oauth';

/** What the upstream understood of a request; the same shape for every wire format. */
export interface ParsedCall {
  operation: Operation;
  model: string;
  stream: boolean;
  /** All prompt text, for usage. */
  promptText: string;
  /** The last user turn, echoed in the default reply. */
  lastUserText: string;
  /** Embedding inputs. */
  inputs: string[];
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  dimensions: number;
  /** Base64 embeddings (OpenAI `encoding_format`). */
  base64: boolean;
  /** Gemini: `alt=sse` framing instead of a streamed JSON array. */
  sse: boolean;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A stream split where behaviours need to cut it: before content, per content chunk, after. */
export interface StreamPlan {
  headers: Record<string, string>;
  head: string;
  pieces: string[];
  tail: string;
}

export interface FailureContext {
  call: ParsedCall;
  key: string;
  now: number;
}

/** One provider's wire format: how it answers, streams and fails. */
export interface Dialect {
  provider: Provider;
  answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse;
  stream(call: ParsedCall, reply: ReplyPlan): StreamPlan;
  failure(failure: StatusBehavior, context: FailureContext): WireResponse;
  /** The in-stream error frame sent after some content, including whatever ends the stream. */
  streamFailure(status: FailureStatus, call: ParsedCall): string;
  rateLimitHeaders?(state: RateLimitState, now: number): Record<string, string>;
}

export const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };
export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function retryAfterHeader(failure: StatusBehavior): Record<string, string> {
  return failure.retryAfterSec === undefined ? {} : { 'retry-after': String(failure.retryAfterSec) };
}

/** When the failure says the limit resets: stated time, else now + retry-after, else a minute. */
export function resetAtOf(failure: StatusBehavior, now: number): number {
  return failure.resetAt ?? now + (failure.retryAfterSec ?? 60) * 1000;
}

let sequence = 0;

/** Short unique ids for response bodies; a counter is enough and costs nothing per request. */
export function nextId(prefix: string): string {
  sequence++;
  return `${prefix}${Date.now().toString(36)}${sequence.toString(36)}`;
}

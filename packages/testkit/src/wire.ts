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

/** A tool the request offers, as every format describes one: a name and a JSON Schema of its arguments. */
export interface OfferedTool {
  name: string;
  schema: unknown;
}

/** What a chat request asks for beyond text, read in its own wire format. */
export interface Asks {
  tools: OfferedTool[];
  /** The request lets the model call a tool (tools given and the choice is not "none"). */
  mayCall: boolean;
  /** The one function the model must call (a named tool choice). */
  forced?: string;
  /** Several calls in one answer are allowed (the format's parallel switch is not off). */
  parallel: boolean;
  /** The conversation ends with tool results: their texts, quoted by the final answer. */
  toolResults: string[];
  /** Media types of the images in the conversation. */
  images: string[];
  /** Thinking asked for (OpenAI `reasoning_effort`, Gemini `thinkingConfig`, Anthropic `thinking`…). */
  reasoning: boolean;
  /** JSON output asked for; `schema` when one was given. */
  json?: { schema?: unknown };
}

export const NO_ASKS: Asks = {
  tools: [],
  mayCall: false,
  parallel: false,
  toolResults: [],
  images: [],
  reasoning: false,
};

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
  /** Tools, images, JSON and reasoning the request asks for. */
  asks: Asks;
  /** Why the request is not well formed for its wire format; such a call is answered 400 with it. */
  problem?: string;
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

/** An image's media type from a data URL; a link is reported as `url` (the fake never fetches it). */
export function imageKind(url: unknown): string {
  if (typeof url !== 'string') return 'unknown';
  const match = /^data:([^;,]+)[^,]*,/.exec(url);
  return match?.[1] ?? (/^https?:\/\//.test(url) ? 'url' : 'unknown');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects what is wrong with a request; the first problem is the one reported. */
export interface Problems {
  add(problem: string): void;
  first(): string | undefined;
}

export function createProblems(): Problems {
  const found: string[] = [];
  return { add: (problem) => void found.push(problem), first: () => found[0] };
}

/** A JSON object from text, or undefined when the text is not one. */
export function parseObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

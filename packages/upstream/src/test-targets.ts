/**
 * Test support only (not exported from the package): provider settings pointed at the testkit
 * upstream, targets built from them, and a reader that runs a response body through a stream parser.
 * It takes the upstream's URL rather than the upstream itself: testkit may only be imported by tests.
 */
import { randomBytes } from 'node:crypto';
import { createHttpClients, type HttpClients, type HttpSettings, type Route } from '@llmgw/http';
import {
  adapterFor,
  anthropicDefaults,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  geminiDefaults,
  gigachatDefaults,
  isUpstreamStreamError,
  openAiLikeDefaults,
  type ProviderSettings,
  type UpstreamStreamError,
} from '@llmgw/providers';
import { createCredentialSource } from './credentials.js';
import type { UpstreamDeps } from './send-upstream.js';
import type { UpstreamTarget } from './target.js';

/** Generous enough for loopback; the timeout tests shorten them per target. */
export const TEST_HTTP_SETTINGS: HttpSettings = {
  connectTimeoutMs: 2_000,
  firstByteTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  connectionsPerOrigin: 32,
  keepAliveTimeoutMs: 4_000,
};

export type TargetName =
  | 'openai'
  | 'deepseek'
  | 'openrouter'
  | 'ollama'
  | 'gemini'
  | 'gigachat'
  | 'anthropic';

/** How each configured provider would look after config merging, aimed at the testkit routes. */
export function providerSettings(name: TargetName, upstreamUrl: string): ProviderSettings {
  switch (name) {
    case 'openai':
      return { ...openAiLikeDefaults, type: 'openai_like', name, baseUrl: `${upstreamUrl}/v1` };
    case 'deepseek':
      // DeepSeek also serves the bare `/chat/completions`, and keeps slow calls alive with blank lines.
      return { ...openAiLikeDefaults, type: 'openai_like', name, baseUrl: upstreamUrl };
    case 'openrouter':
      return {
        ...openAiLikeDefaults,
        type: 'openai_like',
        name,
        baseUrl: `${upstreamUrl}/api/v1`,
        headers: { 'HTTP-Referer': 'https://llmgw.test', 'X-Title': 'llmgw' },
      };
    case 'ollama':
      return { ...openAiLikeDefaults, type: 'openai_like', name, baseUrl: `${upstreamUrl}/v1`, auth: 'none' };
    case 'gemini':
      return { ...geminiDefaults, type: 'gemini', name, baseUrl: `${upstreamUrl}/v1beta` };
    case 'gigachat':
      return {
        ...gigachatDefaults,
        type: 'gigachat',
        name,
        baseUrl: `${upstreamUrl}/api/v1`,
        oauth: { url: `${upstreamUrl}/api/v2/oauth`, scope: 'GIGACHAT_API_PERS' },
      };
    case 'anthropic':
      return { ...anthropicDefaults, type: 'anthropic', name, baseUrl: `${upstreamUrl}/v1` };
  }
}

/** A chat model each testkit provider lists by default (chat itself accepts any name). */
export const CHAT_MODEL: Record<TargetName, string> = {
  openai: 'gpt-4o-mini',
  deepseek: 'gpt-4o-mini',
  openrouter: 'gpt-4o-mini',
  ollama: 'gpt-4o-mini',
  gemini: 'gemini-2.0-flash',
  gigachat: 'GigaChat',
  anthropic: 'claude-3-5-haiku-20241022',
};

/** A fresh secret that no prefix convention of the testkit recognises, long enough to be spotted in a leak. */
export function newSecret(name: TargetName): string {
  const body = randomBytes(20).toString('hex');
  if (name === 'ollama') return '';
  if (name === 'gigachat') return Buffer.from(`client-${body}:secret-${body}`).toString('base64');
  if (name === 'gemini') return `AIza${body}`;
  if (name === 'anthropic') return `sk-ant-${body}`;
  return `sk-${body}`;
}

export interface TargetOptions {
  secret?: string;
  route?: Route;
  timeouts?: UpstreamTarget['timeouts'];
  keyId?: string;
  /** Overrides of the provider's settings (e.g. `probeMethod: 'models'`). */
  settings?: Partial<ProviderSettings>;
}

let keyCounter = 0;

export function createTarget(
  name: TargetName,
  upstreamUrl: string,
  options: TargetOptions = {},
): UpstreamTarget {
  const settings = { ...providerSettings(name, upstreamUrl), ...options.settings };
  keyCounter += 1;
  return {
    adapter: adapterFor(settings.type),
    settings,
    keyId: options.keyId ?? `${name}-key-${keyCounter}`,
    secret: options.secret ?? newSecret(name),
    route: options.route ?? { kind: 'direct' },
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  };
}

/** Real http clients and a real credential source; `now` is shared by the token cache and the classifier. */
export function createTestDeps(
  now: () => number = Date.now,
  settings: Partial<HttpSettings> = {},
): UpstreamDeps & { http: HttpClients } {
  const http = createHttpClients({ ...TEST_HTTP_SETTINGS, ...settings });
  return { http, credentials: createCredentialSource(http, now), now };
}

export function chatBody(model: string, text: string, extra: Partial<ChatCompletionRequest> = {}) {
  const body: ChatCompletionRequest = { model, messages: [{ role: 'user', content: text }], ...extra };
  return body;
}

export interface StreamReading {
  chunks: ChatCompletionChunk[];
  /** The error the body itself ended with (a cut socket, the caller's abort), if any. */
  bodyError?: unknown;
  /** What the parser reported when the stream was over: a failure, or nothing for a clean end. */
  streamError?: UpstreamStreamError;
}

/**
 * Feeds a response body through an adapter's stream parser the way the conductor does: every chunk to
 * `push`, then `end()` however the body finished, so a cut stream is judged by the parser, not the socket.
 */
export async function readStream(
  target: UpstreamTarget,
  body: AsyncIterable<Uint8Array>,
  model: string,
  onChunk?: (chunks: ChatCompletionChunk[]) => void,
): Promise<StreamReading> {
  const parser = target.adapter.createStreamParser({ model, requestId: 'req-test' });
  const reading: StreamReading = { chunks: [] };
  const keep = (chunks: ChatCompletionChunk[]) => {
    reading.chunks.push(...chunks);
    if (chunks.length > 0) onChunk?.(chunks);
  };
  try {
    try {
      for await (const data of body) keep(parser.push(data));
    } catch (error) {
      if (isUpstreamStreamError(error)) throw error;
      reading.bodyError = error;
    }
    keep(parser.end());
  } catch (error) {
    if (!isUpstreamStreamError(error)) throw error;
    reading.chunks.push(...error.chunks);
    reading.streamError = error;
  }
  return reading;
}

/** The assembled answer of a stream: its text, finish reason and usage, as a client would see them. */
export function assemble(chunks: ChatCompletionChunk[]) {
  let text = '';
  let finishReason: string | null = null;
  let usage: ChatCompletionChunk['usage'];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      if (typeof choice.delta.content === 'string') text += choice.delta.content;
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finishReason, usage };
}

/** The rejection of `run`, for asserting on it; a resolution is a test failure. */
export async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** Polls until `check` holds; fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

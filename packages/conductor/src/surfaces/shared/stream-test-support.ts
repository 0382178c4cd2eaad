import { createSseDecoder, type SseEvent } from '@llmgw/providers';
import { sseStream } from '../../http/test-support.js';
import { type ChatStreamTranslator, translateChatStream } from './translate-stream.js';

/*
 * Test support: chat chunks through a translator exactly as a route runs them (the relay's SSE framing,
 * translateChatStream), and the result as parsed events or as the NDJSON the SDKs' `fromReadableStream`
 * helpers read, so the official accumulators can judge the events.
 */

export async function translateFrames(
  source: ReadableStream<Uint8Array>,
  translator: ChatStreamTranslator,
): Promise<SseEvent[]> {
  const text = await new Response(translateChatStream(source, translator)).text();
  const reader = createSseDecoder();
  return [...reader.push(text), ...reader.end()];
}

export function translateChunks(
  chunks: readonly unknown[],
  translator: ChatStreamTranslator,
): Promise<SseEvent[]> {
  return translateFrames(sseStream(chunks), translator);
}

/** The relay's frames when its stream broke after `chunks`: an error event, then `[DONE]`. */
export function brokenStream(
  chunks: readonly unknown[],
  error: Record<string, string>,
): ReadableStream<Uint8Array> {
  const text = `${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('')}data: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`;
  return new Response(text).body as ReadableStream<Uint8Array>;
}

export function ndjson(events: readonly SseEvent[]): ReadableStream<Uint8Array> {
  return new Response(events.map((event) => `${event.data}\n`).join('')).body as ReadableStream<Uint8Array>;
}

/** A chat chunk with one choice (or none, for the usage chunk). */
export function chunk(delta: Record<string, unknown> | null, extra: Record<string, unknown> = {}): unknown {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'upstream-model',
    choices: delta === null ? [] : [{ index: 0, delta, finish_reason: null }],
    ...extra,
  };
}

export function finish(reason: string): unknown {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'upstream-model',
    choices: [{ index: 0, delta: {}, finish_reason: reason }],
  };
}

export const USAGE = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 4 },
};

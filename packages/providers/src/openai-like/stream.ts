import type { ChatCompletionChunk, Usage } from '../openai-types.js';
import { createEventStreamParser, type EventOutcome, malformedEvent } from '../shared/event-stream.js';
import { isRecord, type JsonRecord, keepVerbatim, recordField, stringField } from '../shared/json.js';
import type { SseEvent } from '../shared/sse.js';
import type { StreamContext, StreamParser } from '../types.js';
import { classifyFailure } from './errors.js';

/**
 * Fills what the gateway relies on and keeps the rest; Groq's `x_groq.usage` becomes `usage`. A chunk
 * with nothing to fill is returned as it is (the same object).
 */
export function normalizeChunk(raw: JsonRecord, ctx: Required<StreamContext>): ChatCompletionChunk {
  const groqUsage = recordField(recordField(raw, 'x_groq'), 'usage');
  if (isCompleteChunk(raw) && (groqUsage === undefined || isRecord(raw.usage))) {
    return raw as unknown as ChatCompletionChunk;
  }
  const chunk: ChatCompletionChunk = {
    ...raw,
    id: stringField(raw, 'id') ?? ctx.requestId,
    object: 'chat.completion.chunk',
    created: typeof raw.created === 'number' ? raw.created : ctx.created,
    model: stringField(raw, 'model') ?? ctx.model,
    choices: Array.isArray(raw.choices) ? (raw.choices as ChatCompletionChunk['choices']) : [],
  };
  if (!isRecord(raw.usage) && groqUsage) chunk.usage = groqUsage as unknown as Usage;
  return chunk;
}

/** Every field `normalizeChunk` would fill is already there, with the right type. */
function isCompleteChunk(raw: JsonRecord): boolean {
  return (
    typeof raw.id === 'string' &&
    raw.object === 'chat.completion.chunk' &&
    typeof raw.created === 'number' &&
    typeof raw.model === 'string' &&
    Array.isArray(raw.choices)
  );
}

export interface OpenAiStreamOptions {
  /** Provider quirks on top of the OpenAI shape (GigaChat); default is `normalizeChunk`. */
  mapChunk?: (raw: JsonRecord, ctx: Required<StreamContext>) => ChatCompletionChunk[];
}

/**
 * The OpenAI stream contract: `data: <chunk>` events ended by `data: [DONE]`. A `data:` JSON with a
 * top-level `error` (OpenAI, OpenRouter after HTTP 200) or an `event: error` frame (DashScope) is a
 * failure; a stream that closes before `[DONE]` was cut.
 */
export function createOpenAiStreamHandler(context: StreamContext, options: OpenAiStreamOptions = {}) {
  const ctx: Required<StreamContext> = { created: Math.floor(Date.now() / 1000), ...context };
  const mapChunk = options.mapChunk ?? ((raw: JsonRecord) => [normalizeChunk(raw, ctx)]);
  let done = false;
  return {
    handle(event: SseEvent): EventOutcome {
      const data = event.data.trim();
      if (done || data === '') return [];
      if (data === '[DONE]') {
        done = true;
        return [];
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        return malformedEvent(data);
      }
      if (!isRecord(parsed)) return malformedEvent(data);
      if (event.event === 'error' || (parsed.error !== undefined && parsed.error !== null)) {
        const inner = recordField(parsed, 'error');
        const code = inner?.code;
        return { failure: typeof code === 'number' ? { status: code, body: data } : { body: data } };
      }
      const chunks = mapChunk(parsed, ctx);
      // Nothing was filled in: the client gets the upstream's own text, not a second JSON.stringify.
      // Only a one-line event can be framed again as one `data:` line.
      if (chunks.length === 1 && chunks[0] === parsed && !/[\r\n]/.test(data)) keepVerbatim(parsed, data);
      return chunks;
    },
    finish: () => (done ? [] : undefined),
  };
}

export function createStreamParser(ctx: StreamContext): StreamParser {
  return createEventStreamParser(createOpenAiStreamHandler(ctx), classifyFailure);
}

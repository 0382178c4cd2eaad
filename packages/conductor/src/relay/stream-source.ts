import type { UpstreamResponse } from '@llmgw/http';
import {
  type ChatCompletionChunk,
  isUpstreamStreamError,
  type StreamParser,
  type Usage,
} from '@llmgw/providers';

/** The next piece of a stream for the client: chunks, the clean end, or a break (with what came before it). */
export type StreamPull =
  | { kind: 'chunks'; chunks: ChatCompletionChunk[] }
  | { kind: 'end'; chunks: ChatCompletionChunk[] }
  | { kind: 'broken'; chunks: ChatCompletionChunk[]; error: unknown };

export interface StreamSource {
  /** Reads until at least one chunk is ready for the client, the stream ends, or it breaks. */
  next(): Promise<StreamPull>;
  usage(): Usage | undefined;
  /** Stops reading and lets go of the socket. */
  close(): Promise<void>;
}

/**
 * An upstream stream as OpenAI chunks: the adapter's parser does the only JSON work per chunk. Usage is
 * taken from whichever chunk carries it; the trailing usage-only chunk (`choices: []`) the translating
 * adapters always emit is dropped unless the client asked for it with `stream_options.include_usage`.
 */
export function createStreamSource(
  response: UpstreamResponse,
  parser: StreamParser,
  options: { includeUsage: boolean },
): StreamSource {
  const iterator = response.body[Symbol.asyncIterator]();
  let usage: Usage | undefined;
  let finished = false;

  const keep = (chunks: ChatCompletionChunk[]): ChatCompletionChunk[] => {
    let kept = chunks;
    for (const chunk of chunks) {
      if (chunk.usage) usage = chunk.usage;
      if (!options.includeUsage && chunk.usage && chunk.choices.length === 0) {
        kept = kept.filter((candidate) => candidate !== chunk);
      }
    }
    return kept;
  };

  /** Whatever the parser still holds when the body broke: those chunks are the client's too. */
  const salvage = (): ChatCompletionChunk[] => {
    try {
      return keep(parser.end());
    } catch (error) {
      return isUpstreamStreamError(error) ? keep(error.chunks) : [];
    }
  };

  return {
    async next() {
      if (finished) return { kind: 'end', chunks: [] };
      try {
        for (;;) {
          const read = await iterator.next();
          if (read.done) {
            finished = true;
            return { kind: 'end', chunks: keep(parser.end()) };
          }
          const chunks = keep(parser.push(read.value));
          if (chunks.length > 0) return { kind: 'chunks', chunks };
        }
      } catch (error) {
        finished = true;
        if (isUpstreamStreamError(error)) return { kind: 'broken', chunks: keep(error.chunks), error };
        return { kind: 'broken', chunks: salvage(), error };
      }
    },
    usage: () => usage,
    async close() {
      finished = true;
      // Ending the iteration early destroys the body and its socket (see UpstreamResponse.body).
      await iterator.return?.().catch(() => undefined);
    },
  };
}

import type { LlmgwError } from '@llmgw/core';
import type { Dispatcher } from 'undici';

export interface UpstreamResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /**
   * The body as it arrives. Read it, or call `dump()`: an unread body holds its socket. Breaking out of
   * the loop early destroys the stream (and its socket). Errors are our transport errors, not undici's.
   */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Parses the whole body; a body that is not JSON rejects with the `SyntaxError` of `JSON.parse`. */
  json(): Promise<unknown>;
  /** Discards the body so the socket goes back to the pool (undici reads a little, then closes it). */
  dump(): Promise<void>;
}

/**
 * Wraps undici's answer without copying the body. `fail` turns a stream error into our error types;
 * it is called only on the error path, so the happy path costs one closure per response.
 */
export function createUpstreamResponse(
  answer: Dispatcher.ResponseData,
  fail: (error: unknown) => LlmgwError,
): UpstreamResponse {
  const raw = answer.body;
  const body: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of raw) yield chunk as Uint8Array;
      } catch (error) {
        throw fail(error);
      }
    },
  };
  const text = async (): Promise<string> => {
    try {
      return await raw.text();
    } catch (error) {
      throw fail(error);
    }
  };
  return {
    status: answer.statusCode,
    headers: flattenHeaders(answer.headers),
    body,
    text,
    json: async () => JSON.parse(await text()),
    // A failure while discarding changes nothing for the caller: the answer was already decided.
    dump: () => raw.dump().catch(() => undefined),
  };
}

/**
 * undici already lower-cases names; only repeated headers arrive as arrays. Joined in place, in one pass,
 * so the usual response allocates nothing here.
 */
function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers as Record<string, string>;
}

import { type ChatCompletionChunk, verbatimJson } from '@llmgw/providers';
import type { SseFeed } from '../contracts.js';
import type { AttemptEnd } from './attempt-end.js';
import { createFeed, type StreamFeedOptions } from './sse-feed.js';
import type { StreamPull, StreamSource } from './stream-source.js';

const DONE = 'data: [DONE]\n\n';

export type SseBodyOptions = StreamFeedOptions<StreamPull, StreamSource>;

/** A chat stream after its first byte: OpenAI chunks framed as SSE, ending with `[DONE]`. */
export function createSseFeed(options: SseBodyOptions): SseFeed {
  const { source, judge } = options;
  return createFeed<StreamPull>({
    ...options,
    render(pull) {
      const text = frames(pull.chunks);
      if (pull.kind === 'end') {
        return { text: text + DONE, end: { kind: 'ok', status: 200, usage: source.usage() } };
      }
      if (pull.kind === 'broken') {
        const result = judge(pull.error);
        return { text: text + errorEvent(result) + DONE, end: result };
      }
      return { text };
    },
    closingText: (result) => errorEvent(result) + DONE,
  });
}

/** Each chunk as one `data:` line: the upstream's own text when the adapter kept it (`verbatimJson`). */
function frames(chunks: ChatCompletionChunk[]): string {
  let text = '';
  for (const chunk of chunks) text += `data: ${verbatimJson(chunk) ?? JSON.stringify(chunk)}\n\n`;
  return text;
}

function errorEvent(result: AttemptEnd): string {
  const error =
    result.kind === 'failure'
      ? {
          message: `upstream stream failed: ${result.classification.message}`,
          type: 'upstream_error',
          code: result.classification.reason,
        }
      : result.kind === 'aborted'
        ? { message: 'request timed out', type: 'timeout_error', code: 'request_timeout' }
        : { message: 'internal gateway error', type: 'server_error', code: 'internal_error' };
  return `data: ${JSON.stringify({ error })}\n\n`;
}

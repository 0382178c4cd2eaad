import type { RelayHeaders, RelayResult } from '../contracts.js';

/*
 * Prepared answers in OpenAI's wire format, so a client cannot tell an offline package from a
 * provider except by `x-llm-actual-provider: offline`.
 */

const encoder = new TextEncoder();
const CHARS_PER_TOKEN = 4;

export interface OfflineReply {
  requestId: string;
  model: string;
  /** Seconds since the epoch, as OpenAI's `created`. */
  created: number;
  headers: RelayHeaders;
}

export function completionResult(reply: OfflineReply, answer: string, promptChars: number): RelayResult {
  const usage = usageOf(promptChars, answer.length);
  return {
    kind: 'json',
    status: 200,
    headers: reply.headers,
    body: {
      id: completionId(reply),
      object: 'chat.completion',
      created: reply.created,
      model: reply.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
    },
  };
}

/** The answer as a stream: a role chunk, one chunk per word, the stop chunk, usage when asked for. */
export function streamResult(
  reply: OfflineReply,
  answer: string,
  promptChars: number,
  includeUsage: boolean,
): RelayResult {
  const base = {
    id: completionId(reply),
    object: 'chat.completion.chunk',
    created: reply.created,
    model: reply.model,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null)];
  for (const piece of answer.match(/\s*\S+\s*/g) ?? [answer]) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, 'stop'));
  if (includeUsage) events.push({ ...base, choices: [], usage: usageOf(promptChars, answer.length) });
  let text = '';
  for (const event of events) text += `data: ${JSON.stringify(event)}\n\n`;
  text += 'data: [DONE]\n\n';
  const bytes = encoder.encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return { kind: 'stream', body, headers: reply.headers };
}

export function embeddingsResult(
  reply: OfflineReply,
  vectors: readonly (readonly number[])[],
  inputChars: number,
  encoding: unknown,
): RelayResult {
  const tokens = Math.ceil(inputChars / CHARS_PER_TOKEN);
  return {
    kind: 'json',
    status: 200,
    headers: reply.headers,
    body: {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: encoding === 'base64' ? base64Floats(vector) : [...vector],
      })),
      model: reply.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
function base64Floats(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

function usageOf(promptChars: number, completionChars: number) {
  const prompt = Math.ceil(promptChars / CHARS_PER_TOKEN);
  const completion = Math.ceil(completionChars / CHARS_PER_TOKEN);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function completionId(reply: OfflineReply): string {
  return `chatcmpl-offline-${reply.requestId}`;
}

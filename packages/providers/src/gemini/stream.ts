import type { ChatCompletionChunk, Usage } from '../openai-types.js';
import { createEventStreamParser, type EventOutcome, malformedEvent } from '../shared/event-stream.js';
import { arrayField, isRecord, numberField, recordField, recordsOf, stringField } from '../shared/json.js';
import type { SseEvent } from '../shared/sse.js';
import type { StreamContext, StreamParser } from '../types.js';
import { classifyFailure } from './errors.js';
import { candidateText, completionId, mapFinishReason, mapUsage } from './response.js';

/**
 * Each Gemini event is a whole GenerateContentResponse holding only new text. There is no
 * terminator: a stream is complete once every candidate has a finishReason, and its usage is the
 * last event's (earlier ones carry partial counts), sent as OpenAI's trailing `choices: []` chunk.
 */
export function createStreamParser(context: StreamContext): StreamParser {
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let id = `chatcmpl-${context.requestId}`;
  let model = context.model;
  let usage: Usage | undefined;
  const started = new Set<number>();
  const finished = new Set<number>();
  const chunk = (choices: ChatCompletionChunk['choices']): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
  });

  const handler = {
    handle(event: SseEvent): EventOutcome {
      const data = event.data.trim();
      if (data === '') return [];
      let body: unknown;
      try {
        body = JSON.parse(data);
      } catch {
        return malformedEvent(data);
      }
      if (!isRecord(body)) return malformedEvent(data);
      const error = recordField(body, 'error');
      if (error) {
        const code = numberField(error, 'code');
        return { failure: code === undefined ? { body: data } : { status: code, body: data } };
      }
      if (started.size === 0) id = completionId(body, id);
      model = stringField(body, 'modelVersion') ?? model;
      usage = mapUsage(recordField(body, 'usageMetadata')) ?? usage;
      const choices: ChatCompletionChunk['choices'] = [];
      for (const [position, candidate] of recordsOf(arrayField(body, 'candidates')).entries()) {
        const index = numberField(candidate, 'index') ?? position;
        const finish = mapFinishReason(stringField(candidate, 'finishReason'));
        const text = candidateText(candidate);
        const delta: ChatCompletionChunk['choices'][number]['delta'] = started.has(index)
          ? {}
          : { role: 'assistant' };
        if (text !== '' || !started.has(index)) delta.content = text;
        started.add(index);
        if (finish) finished.add(index);
        choices.push({ index, delta, logprobs: null, finish_reason: finish });
      }
      if (choices.length === 0 && stringField(recordField(body, 'promptFeedback'), 'blockReason')) {
        started.add(0);
        finished.add(0);
        choices.push({
          index: 0,
          delta: { role: 'assistant', content: '' },
          logprobs: null,
          finish_reason: 'content_filter',
        });
      }
      return choices.length > 0 ? [chunk(choices)] : [];
    },
    finish(): ChatCompletionChunk[] | undefined {
      const complete = started.size > 0 && [...started].every((index) => finished.has(index));
      if (!complete) return undefined;
      return usage ? [{ ...chunk([]), usage }] : [];
    },
  };
  return createEventStreamParser(handler, classifyFailure);
}

import type { ChatCompletionChunk, Usage } from '../openai-types.js';
import { createEventStreamParser, type EventOutcome, malformedEvent } from '../shared/event-stream.js';
import { arrayField, isRecord, numberField, recordField, recordsOf, stringField } from '../shared/json.js';
import { splitFinish } from '../shared/split-finish.js';
import type { SseEvent } from '../shared/sse.js';
import type { StreamContext, StreamParser } from '../types.js';
import { classifyFailure } from './errors.js';
import { candidateParts, completionId, finishWithTools, mapFinishReason, mapUsage } from './response.js';

/**
 * Each Gemini event is a whole GenerateContentResponse holding only new text. There is no
 * terminator: a stream is complete once every candidate has a finishReason, and its usage is the
 * last event's (earlier ones carry partial counts), sent as OpenAI's trailing `choices: []` chunk.
 * Function calls arrive whole, each as one `delta.tool_calls` entry with its full `arguments`; thought
 * parts become `delta.reasoning_content`.
 */
export function createStreamParser(context: StreamContext): StreamParser {
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let id = `chatcmpl-${context.requestId}`;
  let model = context.model;
  let usage: Usage | undefined;
  const started = new Set<number>();
  const finished = new Set<number>();
  /** Tool calls made so far per candidate: indexes and ids continue across events. */
  const toolCounts = new Map<number, number>();
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
        const before = toolCounts.get(index) ?? 0;
        const parts = candidateParts(candidate, before);
        const calls = before + parts.toolCalls.length;
        toolCounts.set(index, calls);
        const finish = finishWithTools(mapFinishReason(stringField(candidate, 'finishReason')), calls > 0);
        const delta: ChatCompletionChunk['choices'][number]['delta'] = started.has(index)
          ? {}
          : { role: 'assistant' };
        if (parts.reasoning !== '') delta.reasoning_content = parts.reasoning;
        if (parts.text !== '' || (!started.has(index) && parts.toolCalls.length === 0))
          delta.content = parts.text;
        if (parts.toolCalls.length > 0) {
          delta.tool_calls = parts.toolCalls.map((call, offset) => ({ index: before + offset, ...call }));
        }
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
      return choices.length > 0 ? splitFinish(chunk(choices)) : [];
    },
    finish(): ChatCompletionChunk[] | undefined {
      const complete = started.size > 0 && [...started].every((index) => finished.has(index));
      if (!complete) return undefined;
      return usage ? [{ ...chunk([]), usage }] : [];
    },
  };
  return createEventStreamParser(handler, classifyFailure);
}

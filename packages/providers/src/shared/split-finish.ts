import type { ChatCompletionChunk } from '../openai-types.js';

/**
 * A chunk whose choice carries both tool calls and its finish reason becomes two, the finish in a
 * chunk of its own with an empty delta, as OpenAI sends it: the SDK's stream helper closes a tool call
 * (its `…arguments.done` event) only when a finish arrives after the call's last fragment.
 */
export function splitFinish(chunk: ChatCompletionChunk): ChatCompletionChunk[] {
  const finishing = chunk.choices.filter(
    (choice) => choice.finish_reason !== null && choice.delta.tool_calls,
  );
  if (finishing.length === 0) return [chunk];
  return [
    {
      ...chunk,
      choices: chunk.choices.map((choice) =>
        finishing.includes(choice) ? { ...choice, finish_reason: null } : choice,
      ),
    },
    {
      ...chunk,
      choices: finishing.map((choice) => ({
        index: choice.index,
        delta: {},
        logprobs: null,
        finish_reason: choice.finish_reason,
      })),
    },
  ];
}

import type { ChatCompletion } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';
import { newId } from '../shared/ids.js';
import { mapUsage, messageShell, stopReasonOf, toolInput } from './message-object.js';

/** A chat completion as an Anthropic Message: thinking, text, then one tool_use block per call. */
export function mapChatCompletion(completion: ChatCompletion): Fields {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const content: Fields[] = [];
  const reasoning = message?.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') {
    // No signature: the thinking did not come from Anthropic, so there is nothing to verify it with.
    content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  const text = [message?.content, message?.refusal].filter((part) => typeof part === 'string' && part !== '');
  if (text.length > 0) content.push({ type: 'text', text: text.join(''), citations: null });
  for (const call of message?.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id || newId('toolu_'),
      name: call.function?.name ?? '',
      input: toolInput(call.function?.arguments),
    });
  }
  const result = messageShell(newId('msg_'), completion.model, content, mapUsage(completion.usage));
  result.stop_reason = stopReasonOf(choice?.finish_reason);
  return result;
}

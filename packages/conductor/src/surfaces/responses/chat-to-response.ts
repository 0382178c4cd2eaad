import type { ChatCompletion } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';
import { newId } from '../shared/ids.js';
import type { ResponseEcho } from './request-to-chat.js';
import { mapUsage, nowSeconds, responseObject, statusOf } from './response-object.js';

/**
 * A chat completion as a Response object: reasoning first (from `reasoning_content`), then the
 * message (text or refusal), then one `function_call` item per tool call, in the model's order.
 */
export function mapChatCompletion(completion: ChatCompletion, echo: ResponseEcho): Fields {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const output: Fields[] = [];
  const reasoning = message?.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') {
    output.push({
      id: newId('rs_'),
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: reasoning }],
      status: 'completed',
    });
  }
  const content: Fields[] = [];
  if (typeof message?.content === 'string' && message.content !== '') {
    content.push({ type: 'output_text', text: message.content, annotations: [], logprobs: [] });
  }
  if (typeof message?.refusal === 'string' && message.refusal !== '') {
    content.push({ type: 'refusal', refusal: message.refusal });
  }
  const calls = message?.tool_calls ?? [];
  if (content.length > 0 || calls.length === 0) {
    output.push({ id: newId('msg_'), type: 'message', role: 'assistant', status: 'completed', content });
  }
  for (const call of calls) {
    output.push({
      id: newId('fc_'),
      type: 'function_call',
      call_id: call.id || newId('call_'),
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
      status: 'completed',
    });
  }
  const { status, reason } = statusOf(choice?.finish_reason);
  return responseObject(
    {
      id: newId('resp_'),
      createdAt: typeof completion.created === 'number' ? completion.created : nowSeconds(),
      model: completion.model,
      status,
      output,
      usage: mapUsage(completion.usage),
      incompleteReason: reason,
      error: null,
    },
    echo,
  );
}

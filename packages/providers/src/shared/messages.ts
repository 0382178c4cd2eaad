import type { ChatMessage, ContentPart } from '../openai-types.js';

/** The text of a message; non-text parts wait for the multimodal issue and are skipped here. */
export function messageText(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

export function isSystemRole(message: ChatMessage): boolean {
  return message.role === 'system' || message.role === 'developer';
}

/** Every system/developer instruction, in order, joined: providers with one system slot get all of them. */
export function joinSystemText(messages: ChatMessage[], separator = '\n\n'): string {
  return messages
    .filter(isSystemRole)
    .map((message) => messageText(message.content))
    .filter((text) => text !== '')
    .join(separator);
}

export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  return list.length > 0 ? list : undefined;
}

/** OpenAI's newer and older output limits; the newer wins when both are sent. */
export function maxOutputTokens(body: {
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
}): number | undefined {
  return body.max_completion_tokens ?? body.max_tokens ?? undefined;
}

/** Drops undefined fields so request bodies carry only what the caller set. */
export function compact<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

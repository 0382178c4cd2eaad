import type { ChatMessage, ContentPart } from '../openai-types.js';
import { isRecord } from './json.js';
import { isSystemRole } from './messages.js';
import { invalidParameter, type ParameterGuard } from './refusal.js';

/** An image as the client gave it: inline bytes (a data URL) or a link. */
export type ImageSource =
  | { kind: 'data'; mimeType: string; data: string }
  | { kind: 'url'; url: string; mimeType?: string };

export type Part = { kind: 'text'; text: string } | { kind: 'image'; image: ImageSource };

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s;

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** The image type a link's path suggests; providers that must be told one get this or nothing. */
export function mimeTypeOfUrl(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return EXTENSION_TYPES[extension];
}

export function readImage(url: unknown, parameter: string): ImageSource {
  if (typeof url !== 'string' || url === '') throw invalidParameter(parameter, 'an image_url needs a url');
  if (url.startsWith('data:')) {
    const match = DATA_URL.exec(url);
    if (!match?.[1] || match[3] === undefined) {
      throw invalidParameter(parameter, 'data URLs must be base64 (data:<type>;base64,<data>)');
    }
    return { kind: 'data', mimeType: match[1], data: match[3] };
  }
  if (!/^https?:\/\//i.test(url)) throw invalidParameter(parameter, 'expected a data: or http(s) URL');
  const mimeType = mimeTypeOfUrl(url);
  return { kind: 'url', url, ...(mimeType ? { mimeType } : {}) };
}

/**
 * A message's content as text and image parts. `image_url.detail` is a resolution hint and is not
 * sent on; part types no adapter translates (audio, files) are refused, or dropped when allowed.
 */
export function readParts(
  content: string | ContentPart[] | null | undefined,
  parameter: string,
  guard: ParameterGuard,
  images: { supported: true } | { supported: false; why: string },
): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) throw invalidParameter(parameter, 'expected a string or an array of parts');
  const parts: Part[] = [];
  for (const [index, part] of (content as unknown[]).entries()) {
    const where = `${parameter}[${index}]`;
    if (!isRecord(part)) throw invalidParameter(where, 'expected a content part object');
    if (part.type === 'text') {
      if (typeof part.text !== 'string' || part.text === '') continue;
      // Adjacent text parts are one text to every provider (a client splitting a sentence means no break).
      const last = parts.at(-1);
      if (last?.kind === 'text') last.text += part.text;
      else parts.push({ kind: 'text', text: part.text });
      continue;
    }
    if (part.type === 'image_url') {
      if (!images.supported) {
        guard.refuse(`${where} (image_url)`, images.why);
        continue;
      }
      const image = isRecord(part.image_url) ? part.image_url.url : part.image_url;
      parts.push({ kind: 'image', image: readImage(image, `${where}.image_url`) });
      continue;
    }
    guard.refuse(
      `${where} (${String(part.type)})`,
      `content parts of type ${String(part.type)} are not translated`,
    );
  }
  return parts;
}

/** The text of parts, images left out (for turns that can only hold text, such as tool results). */
export function partsText(parts: Part[]): string {
  return parts
    .filter((part): part is Extract<Part, { kind: 'text' }> => part.kind === 'text')
    .map((part) => part.text)
    .join('');
}

/**
 * Every system/developer instruction, in order, joined: providers with one system slot get all of
 * them. That slot holds text only, so an image there is refused rather than lost.
 */
export function systemText(messages: ChatMessage[], guard: ParameterGuard, separator = '\n\n'): string {
  const noImages = { supported: false, why: 'system instructions take text only' } as const;
  return messages
    .map((message, position) =>
      isSystemRole(message)
        ? partsText(readParts(message.content, `messages[${position}].content`, guard, noImages))
        : '',
    )
    .filter((text) => text !== '')
    .join(separator);
}

/**
 * `text` without a leading byte-order mark: it marks the encoding, it is not part of the text (as
 * TextDecoder and the SSE spec have it). Key and proxy files saved by some editors start with one, and
 * so may an upstream's body or stream.
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

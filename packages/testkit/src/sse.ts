/** SSE framing per provider; each returns one complete event including its blank line. */

/** OpenAI, GigaChat and most compatibles: `data: <json>` and a blank line. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** Google frames its events with CRLF pairs; parsers must accept both. */
export function crlfDataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\r\n\r\n`;
}

/** Anthropic: a named event whose JSON `type` repeats the name. */
export function namedFrame(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const DONE_FRAME = 'data: [DONE]\n\n';

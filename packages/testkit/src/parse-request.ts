import { parseAnthropicCall } from './anthropic.js';
import { parseGeminiCall } from './gemini.js';
import { parseOpenAiCall } from './openai.js';
import type { Route } from './route.js';
import type { ParsedCall } from './wire.js';

type Body = Record<string, unknown>;

function parseJson(text: string): Body | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the body in the route's wire format. An unparsable body still yields a call (so the request
 * is logged) but marks it invalid; the server answers 400, as real providers do.
 */
export function parseRequest(route: Route, text: string): { call: ParsedCall; valid: boolean } {
  const body = parseJson(text);
  const fields = body ?? {};
  if (route.kind !== 'api') return { call: parseOpenAiCall('oauth', fields), valid: body !== undefined };
  const { provider } = route.dialect;
  let call: ParsedCall;
  if (provider === 'gemini')
    call = parseGeminiCall(route.operation, route.pathModel, route.action, route.sse, fields);
  else if (provider === 'anthropic') call = parseAnthropicCall(route.operation, fields, route.pathModel);
  else call = parseOpenAiCall(route.operation, fields, route.pathModel);
  return { call, valid: body !== undefined };
}

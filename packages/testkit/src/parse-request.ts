import { parseAnthropicCall } from './anthropic.js';
import { parseGeminiCall } from './gemini.js';
import { parseGigaChatCall } from './gigachat.js';
import { parseOpenAiCall } from './openai.js';
import { openAiResponsesDialect, parseResponsesCall } from './openai-responses.js';
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
 * Reads the body in the route's wire format. An unparsable or malformed body (`call.problem`) still
 * yields a call (so the request is logged, with behaviour `bad_request`) but marks it invalid; the
 * server answers 400 naming the problem, as real providers do.
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
  else if (provider === 'gigachat') call = parseGigaChatCall(route.operation, fields, route.pathModel);
  else if (route.dialect === openAiResponsesDialect) call = parseResponsesCall(route.operation, fields);
  else call = parseOpenAiCall(route.operation, fields, route.pathModel);
  // A body that parses but breaks its format's rules is refused too, with the rule it broke.
  return { call, valid: body !== undefined && call.problem === undefined };
}

import type { Asks, OfferedTool, ParsedCall } from './wire.js';

/** A tool call the fake model decided to make. */
export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

/** What every wire format needs to render a successful answer; computed once per request. */
export interface ReplyPlan {
  /** The answer text; empty when the answer is tool calls. */
  text: string;
  /** The text split into stream chunks (words with their trailing space). */
  pieces: string[];
  /** Tool calls instead of text (a request with tools that does not end with tool results). */
  toolCalls: PlannedCall[];
  /** Thinking text, when the request asked for reasoning; empty otherwise. */
  reasoning: string;
  promptTokens: number;
  /** Output tokens of the answer (text or call arguments), thinking not included. */
  completionTokens: number;
  reasoningTokens: number;
}

/** A rough, deterministic token count (~4 characters per token) so usage varies with input size. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

const WORD = /\S+\s*/g;

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A value valid for a JSON Schema (the subset tools and structured output use): the first enum or
 * const, the first of anyOf/oneOf, every required property (all when none are listed), strings named
 * after their property. Deterministic, so tests can predict arguments and answers.
 */
export function valueForSchema(schema: unknown, name = 'value'): unknown {
  if (!isSchema(schema)) return name;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return valueForSchema(alternatives[0], name);
  const declared = Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type;
  const type = declared ?? (isSchema(schema.properties) ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.map(String) : Object.keys(properties);
      return Object.fromEntries(required.map((key) => [key, valueForSchema(properties[key], key)]));
    }
    case 'array':
      return schema.items === undefined ? [] : [valueForSchema(schema.items, name)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return name;
  }
}

function argsFor(tool: OfferedTool): Record<string, unknown> {
  const value = valueForSchema(tool.schema ?? { type: 'object' });
  return isSchema(value) ? value : {};
}

/** The forced function; else the first two tools when parallel calls are allowed; else the first. */
function chooseCalls(asks: Asks): PlannedCall[] {
  const forced = asks.forced === undefined ? undefined : asks.tools.find((tool) => tool.name === asks.forced);
  const chosen = forced ? [forced] : asks.parallel ? asks.tools.slice(0, 2) : asks.tools.slice(0, 1);
  return chosen.map((tool) => ({ name: tool.name, args: argsFor(tool) }));
}

/** The answer text: quoting tool results, a JSON value, or `ok: <last user text>` noting any images. */
function answerText(call: ParsedCall): string {
  const { asks, lastUserText } = call;
  if (asks.toolResults.length > 0) return `ok: the tool said ${asks.toolResults.join('; ')}`;
  if (asks.json) {
    return JSON.stringify(
      asks.json.schema === undefined ? { answer: lastUserText } : valueForSchema(asks.json.schema),
    );
  }
  const text = lastUserText === '' ? 'ok' : `ok: ${lastUserText}`;
  if (asks.images.length === 0) return text;
  const noun = asks.images.length === 1 ? 'image' : 'images';
  return `${text} [${asks.images.length} ${noun}: ${asks.images.join(', ')}]`;
}

export function planReply(
  call: ParsedCall,
  reply: string | undefined,
  usage: { promptTokens?: number; completionTokens?: number } | undefined,
): ReplyPlan {
  const { asks } = call;
  const toolCalls =
    reply === undefined && asks.toolResults.length === 0 && asks.mayCall && asks.tools.length > 0
      ? chooseCalls(asks)
      : [];
  const text = toolCalls.length > 0 ? '' : (reply ?? answerText(call));
  const reasoning = asks.reasoning ? `thinking about: ${call.lastUserText || 'the request'}` : '';
  const output = text + toolCalls.map((planned) => JSON.stringify(planned.args)).join('');
  return {
    text,
    pieces: text === '' ? [] : (text.match(WORD) ?? [text]),
    toolCalls,
    reasoning,
    promptTokens: usage?.promptTokens ?? countTokens(call.promptText),
    completionTokens: usage?.completionTokens ?? countTokens(output),
    reasoningTokens: reasoning === '' ? 0 : countTokens(reasoning),
  };
}

/** Halves of a tool call's arguments JSON, so streams show arguments arriving in pieces. */
export function argumentPieces(args: Record<string, unknown>): string[] {
  const json = JSON.stringify(args);
  const middle = Math.ceil(json.length / 2);
  return [json.slice(0, middle), json.slice(middle)].filter((piece) => piece !== '');
}

/**
 * A deterministic embedding: the same text always maps to the same unit-length vector, different
 * texts to different ones (a hash of the text seeds a small PRNG), without any real model.
 */
export function embed(text: string, dimensions: number): number[] {
  let seed = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    seed = Math.imul(seed ^ text.charCodeAt(index), 0x01000193);
  }
  const vector: number[] = [];
  for (let slot = 0; slot < dimensions; slot++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    vector.push((seed >>> 0) / 0xffffffff - 0.5);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => Math.round((value / norm) * 1e6) / 1e6);
}

/** Pulls plain text out of the content shapes the four formats use (string, parts, blocks). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content !== null && typeof content === 'object') {
    const record = content as Record<string, unknown>;
    if (typeof record.text === 'string') return record.text;
    if ('content' in record) return textOf(record.content);
    if ('parts' in record) return textOf(record.parts);
  }
  return '';
}

import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatMessage, ReasoningEffort } from '../openai-types.js';
import { isRecord, type JsonRecord } from './json.js';
import { invalidParameter, type ParameterGuard } from './refusal.js';

/** A function tool as every translating adapter needs it. */
export interface FunctionTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments, as the client sent it. */
  parameters?: JsonRecord;
}

/** The client's tools, checked; anything but a function tool is refused (or dropped). */
export function readTools(body: ChatCompletionRequest, guard: ParameterGuard): FunctionTool[] {
  const tools = body.tools;
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidParameter('tools', 'expected an array');
  const out: FunctionTool[] = [];
  for (const [index, tool] of (tools as unknown[]).entries()) {
    if (!isRecord(tool) || tool.type !== 'function') {
      const type = isRecord(tool) ? String(tool.type) : typeof tool;
      guard.refuse(`tools[${index}]`, `only function tools can be translated, not ${type}`);
      continue;
    }
    const fn = tool.function;
    if (!isRecord(fn) || typeof fn.name !== 'string' || fn.name === '') {
      throw invalidParameter(`tools[${index}].function.name`, 'a function tool needs a name');
    }
    if (fn.parameters !== undefined && !isRecord(fn.parameters)) {
      throw invalidParameter(`tools[${index}].function.parameters`, 'expected a JSON Schema object');
    }
    out.push({
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(isRecord(fn.parameters) ? { parameters: fn.parameters } : {}),
    });
  }
  return out;
}

export type ToolMode = { mode: 'none' | 'auto' | 'required' } | { mode: 'named'; name: string };

/** `tool_choice` checked against the tools it may name; undefined when the client left it to the model. */
export function readToolChoice(body: ChatCompletionRequest, tools: FunctionTool[]): ToolMode | undefined {
  const choice: unknown = body.tool_choice;
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'none' || choice === 'auto' || choice === 'required') {
    if (choice === 'required' && tools.length === 0) {
      throw invalidParameter('tool_choice', '"required" needs tools');
    }
    return { mode: choice };
  }
  const name = isRecord(choice) && isRecord(choice.function) ? choice.function.name : undefined;
  if (typeof name !== 'string') {
    throw invalidParameter(
      'tool_choice',
      'expected none, auto, required or {type: "function", function: {name}}',
    );
  }
  if (!tools.some((tool) => tool.name === name)) {
    throw invalidParameter('tool_choice', `names function ${name}, which is not among the tools`);
  }
  return { mode: 'named', name };
}

/** A tool call's `arguments` string as the object providers want; it must be a JSON object. */
export function parseArguments(text: unknown, parameter: string): JsonRecord {
  if (typeof text !== 'string' || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidParameter(parameter, 'arguments are not valid JSON');
  }
  if (!isRecord(value)) throw invalidParameter(parameter, 'arguments must be a JSON object');
  return value;
}

/**
 * An id for a provider's tool call that has none (Gemini). Derived from what the call is and where it
 * stands in the answer, so the same answer streamed or not, or replayed by a retry, gives the same id.
 */
export function stableToolCallId(name: string, args: unknown, index: number): string {
  const digest = createHash('sha256')
    .update(`${index}\u0000${name}\u0000${JSON.stringify(args ?? {})}`)
    .digest('base64url');
  return `call_${digest.slice(0, 24)}`;
}

/** tool_call_id → function name, from the assistant turns before: OpenAI tool results carry only the id. */
export function toolNamesById(messages: ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) {
      if (isRecord(call) && typeof call.id === 'string' && isRecord(call.function)) {
        const name = call.function.name;
        if (typeof name === 'string') names.set(call.id, name);
      }
    }
  }
  return names;
}

/** The function name a tool result answers: by its call id, else the message's own `name`. */
export function toolResultName(message: ChatMessage, names: Map<string, string>, position: number): string {
  const byId = typeof message.tool_call_id === 'string' ? names.get(message.tool_call_id) : undefined;
  const name = byId ?? message.name;
  if (typeof name !== 'string' || name === '') {
    throw invalidParameter(
      `messages[${position}].tool_call_id`,
      'matches no tool call of an earlier assistant message',
    );
  }
  return name;
}

export type OutputFormat =
  | { kind: 'text' }
  | { kind: 'json_object' }
  | { kind: 'json_schema'; name: string; description?: string; schema: JsonRecord; strict: boolean };

export function readResponseFormat(body: ChatCompletionRequest): OutputFormat {
  const format: unknown = body.response_format;
  if (format === undefined || format === null) return { kind: 'text' };
  if (!isRecord(format)) throw invalidParameter('response_format', 'expected an object');
  if (format.type === 'text') return { kind: 'text' };
  if (format.type === 'json_object') return { kind: 'json_object' };
  if (format.type !== 'json_schema') {
    throw invalidParameter('response_format.type', 'expected text, json_object or json_schema');
  }
  const spec = format.json_schema;
  if (!isRecord(spec) || typeof spec.name !== 'string') {
    throw invalidParameter('response_format.json_schema', 'needs a name');
  }
  return {
    kind: 'json_schema',
    name: spec.name,
    ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
    schema: isRecord(spec.schema) ? spec.schema : { type: 'object' },
    strict: spec.strict === true,
  };
}

const EFFORTS: ReadonlySet<string> = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

export function readReasoningEffort(body: ChatCompletionRequest): ReasoningEffort | undefined {
  const effort: unknown = body.reasoning_effort;
  if (effort === undefined || effort === null) return undefined;
  if (typeof effort !== 'string' || !EFFORTS.has(effort)) {
    throw invalidParameter('reasoning_effort', 'expected none, minimal, low, medium, high or xhigh');
  }
  return effort as ReasoningEffort;
}

/** JSON Schema keywords no provider's schema field takes, whatever the dialect. */
export function withoutSchemaMeta(schema: JsonRecord): JsonRecord {
  const { $schema: _meta, ...rest } = schema;
  return rest;
}

import type { ChatMessage, ContentPart, ToolCall, ToolDefinition } from '@llmgw/providers';
import type { ParsedRequest } from '../../http/parse-request.js';
import {
  type Fields,
  invalid,
  isRecord,
  missing,
  optionalNumber,
  requiredString,
  screenFields,
  stringField,
  unsupported,
} from '../shared/fields.js';

/** What the Response object echoes back from the request (OpenAI returns these on every response). */
export interface ResponseEcho {
  instructions: string | null;
  metadata: Record<string, string> | null;
  tools: Fields[];
  toolChoice: unknown;
  temperature: number | null;
  topP: number | null;
  maxOutputTokens: number | null;
  parallelToolCalls: boolean;
  text: Fields;
  reasoning: Fields | null;
  user: string | undefined;
}

export interface ResponsesChatRequest {
  chat: ParsedRequest;
  echo: ResponseEcho;
}

/** Fields a Responses request may carry that are translated (or knowingly ignored, see docs/surfaces.md). */
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'metadata',
  'store',
  'stream',
  'stream_options',
  'include',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'service_tier',
  'truncation',
  'background',
]);

/** Known Responses parameters that need state or features this gateway does not have. */
const REFUSED: Record<string, string> = {
  previous_response_id:
    'this gateway does not store responses; send the whole conversation in "input" instead',
  conversation: 'this gateway does not store conversations; send the whole conversation in "input" instead',
  prompt: 'stored prompt templates are not available here; send "instructions" and "input" instead',
  top_logprobs: 'log probabilities are not translated to the Responses API here',
  max_tool_calls: 'a cap on tool calls cannot be enforced for every provider',
};

/**
 * A Responses API request (`POST /v1/responses`) as a chat completion request, which every provider
 * adapter understands. Throws a request error (400) for what cannot be translated faithfully.
 */
export function mapResponsesRequest(body: Fields): ResponsesChatRequest {
  screenFields(body, KNOWN, REFUSED, 'Responses API');
  if (body.background === true)
    throw unsupported('background', 'responses are not stored, so cannot run in the background');

  const model = requiredString(body, 'model', 'e.g. "gpt-4o-mini", "groq/llama-3.3-70b-versatile"');
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw invalid('stream', 'a boolean', stream);

  const instructions = body.instructions;
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') {
    throw invalid('instructions', 'a string', instructions);
  }
  const messages: ChatMessage[] = [];
  if (typeof instructions === 'string' && instructions !== '')
    messages.push({ role: 'system', content: instructions });
  messages.push(...mapInput(body.input));

  const chat: Fields = { model, messages };
  const tools = mapTools(body.tools);
  if (tools.length > 0) chat.tools = tools;
  if (body.tool_choice !== undefined && body.tool_choice !== null)
    chat.tool_choice = mapToolChoice(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = body.parallel_tool_calls;
  const text = isRecord(body.text) ? body.text : {};
  const responseFormat = mapTextFormat(text.format);
  if (responseFormat !== undefined) chat.response_format = responseFormat;
  if (text.verbosity !== undefined && text.verbosity !== null) chat.verbosity = text.verbosity;
  const reasoning = isRecord(body.reasoning) ? body.reasoning : null;
  if (body.reasoning !== undefined && body.reasoning !== null && reasoning === null) {
    throw invalid('reasoning', 'an object like {"effort": "low"}', body.reasoning);
  }
  if (reasoning?.effort !== undefined && reasoning.effort !== null) chat.reasoning_effort = reasoning.effort;
  const maxOutputTokens = optionalNumber(body, 'max_output_tokens');
  // Reasoning models (OpenAI o-series) refuse `max_tokens`; everything else knows it, some only it.
  if (maxOutputTokens !== undefined)
    chat[reasoning === null ? 'max_tokens' : 'max_completion_tokens'] = maxOutputTokens;
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) chat.top_p = topP;
  for (const field of ['user', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const) {
    if (typeof body[field] === 'string') chat[field] = body[field];
  }
  if (stream === true) {
    chat.stream = true;
    // Usage ends every Responses stream (`response.completed`), so it is always asked for.
    chat.stream_options = { include_usage: true };
  }

  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    throw invalid('metadata', 'an object of string values', metadata);
  }
  return {
    chat: { body: chat, model, stream: stream === true },
    echo: {
      instructions: typeof instructions === 'string' ? instructions : null,
      metadata: isRecord(metadata) ? (metadata as Record<string, string>) : null,
      tools: Array.isArray(body.tools) ? (body.tools as Fields[]) : [],
      toolChoice: body.tool_choice ?? 'auto',
      temperature: temperature ?? null,
      topP: topP ?? null,
      maxOutputTokens: maxOutputTokens ?? null,
      parallelToolCalls: body.parallel_tool_calls !== false,
      text: { format: isRecord(text.format) ? text.format : { type: 'text' } },
      reasoning: reasoning === null ? null : { effort: reasoning.effort ?? null, summary: null },
      user: typeof body.user === 'string' ? body.user : undefined,
    },
  };
}

function mapInput(input: unknown): ChatMessage[] {
  if (input === undefined || input === null) throw missing('input', 'a string or an array of input items');
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input) || input.length === 0)
    throw invalid('input', 'a string or a non-empty array', input);
  const messages: ChatMessage[] = [];
  for (const [index, item] of input.entries()) mapInputItem(item, `input[${index}]`, messages);
  return messages;
}

function mapInputItem(item: unknown, param: string, messages: ChatMessage[]): void {
  if (typeof item === 'string') {
    messages.push({ role: 'user', content: item });
    return;
  }
  if (!isRecord(item)) throw invalid(param, 'an input item object', item);
  const type = item.type ?? 'message';
  switch (type) {
    case 'message':
      messages.push(mapMessage(item, param));
      return;
    case 'function_call':
      appendToolCall(messages, mapFunctionCall(item, param));
      return;
    case 'function_call_output':
      messages.push({
        role: 'tool',
        tool_call_id: stringField(item, 'call_id', param),
        content: toolOutput(item.output, `${param}.output`),
      });
      return;
    case 'reasoning':
      // The model's own earlier thinking: chat completions has no slot for it, and the next turn does
      // not need it to follow the conversation (see docs/surfaces.md).
      return;
    case 'item_reference':
      throw unsupported(
        `${param}.type`,
        'item references need stored responses, which this gateway does not keep',
      );
    default:
      throw unsupported(
        `${param}.type`,
        `input items of type "${String(type)}" (built-in tools) are not served here`,
      );
  }
}

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

function mapMessage(item: Fields, param: string): ChatMessage {
  const role = item.role;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalid(`${param}.role`, 'one of "user", "assistant", "system", "developer"', role);
  }
  const content = item.content;
  // `developer` is OpenAI's newer name for system; every provider adapter knows `system`.
  const chatRole = role === 'developer' ? 'system' : (role as ChatMessage['role']);
  if (typeof content === 'string') return { role: chatRole, content };
  if (!Array.isArray(content))
    throw invalid(`${param}.content`, 'a string or an array of content parts', content);
  const parts = content.map((part, index) => mapContentPart(part, `${param}.content[${index}]`));
  if (chatRole !== 'user' || parts.every((part) => part.type === 'text')) {
    if (parts.some((part) => part.type !== 'text')) {
      throw unsupported(`${param}.content`, `images are only accepted in user messages, not ${role} ones`);
    }
    return { role: chatRole, content: parts.map((part) => part.text ?? '').join('') };
  }
  return { role: chatRole, content: parts };
}

function mapContentPart(part: unknown, param: string): ContentPart {
  if (!isRecord(part)) throw invalid(param, 'a content part object', part);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      if (typeof part.text !== 'string') throw invalid(`${param}.text`, 'a string', part.text);
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: typeof part.refusal === 'string' ? part.refusal : '' };
    case 'input_image': {
      if (typeof part.image_url !== 'string' || part.image_url === '') {
        if (part.file_id !== undefined)
          throw unsupported(
            `${param}.file_id`,
            'there is no file store here; send the image as image_url (a data: or https: URL)',
          );
        throw invalid(`${param}.image_url`, 'a data: or https: URL', part.image_url);
      }
      const detail = typeof part.detail === 'string' && part.detail !== 'auto' ? { detail: part.detail } : {};
      return { type: 'image_url', image_url: { url: part.image_url, ...detail } };
    }
    case 'input_file':
      throw unsupported(`${param}.type`, 'file inputs are not translated; send text or images');
    default:
      throw unsupported(`${param}.type`, `content parts of type "${String(part.type)}" are not translated`);
  }
}

function mapFunctionCall(item: Fields, param: string): ToolCall {
  const args = item.arguments;
  if (typeof args !== 'string') throw invalid(`${param}.arguments`, 'a JSON string', args);
  return {
    id: stringField(item, 'call_id', param),
    type: 'function',
    function: { name: stringField(item, 'name', param), arguments: args },
  };
}

/** Consecutive calls (and the assistant text before them) are one assistant turn in chat. */
function appendToolCall(messages: ChatMessage[], call: ToolCall): void {
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

function toolOutput(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw invalid(param, 'a string or an array of input_text parts', output);
  return output
    .map((part, index) => {
      const mapped = mapContentPart(part, `${param}[${index}]`);
      if (mapped.type !== 'text')
        throw unsupported(`${param}[${index}]`, 'tool outputs are text in chat completions');
      return mapped.text ?? '';
    })
    .join('');
}

function mapTools(tools: unknown): ToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalid('tools', 'an array of function tools', tools);
  return tools.map((tool, index) => {
    const param = `tools[${index}]`;
    if (!isRecord(tool)) throw invalid(param, 'a tool object', tool);
    if (tool.type !== 'function') {
      throw unsupported(
        `${param}.type`,
        `built-in tool "${String(tool.type)}" is not served here; only "function" tools are`,
      );
    }
    const definition: ToolDefinition['function'] = { name: stringField(tool, 'name', param) };
    if (typeof tool.description === 'string') definition.description = tool.description;
    if (isRecord(tool.parameters)) definition.parameters = tool.parameters;
    if (typeof tool.strict === 'boolean') definition.strict = tool.strict;
    return { type: 'function', function: definition };
  });
}

function mapToolChoice(choice: unknown): unknown {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function' && typeof choice.name === 'string') {
    return { type: 'function', function: { name: choice.name } };
  }
  throw unsupported(
    'tool_choice',
    `only "none", "auto", "required" or {"type":"function","name":…} are translated`,
  );
}

function mapTextFormat(format: unknown): Fields | undefined {
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format)) throw invalid('text.format', 'an object', format);
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (!isRecord(format.schema))
        throw invalid('text.format.schema', 'a JSON schema object', format.schema);
      const schema: Fields = {
        name: typeof format.name === 'string' ? format.name : 'output',
        schema: format.schema,
      };
      if (typeof format.description === 'string') schema.description = format.description;
      if (typeof format.strict === 'boolean') schema.strict = format.strict;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw unsupported(
        'text.format.type',
        `"${String(format.type)}" is not a format this gateway translates`,
      );
  }
}

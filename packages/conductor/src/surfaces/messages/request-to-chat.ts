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

/** Known Messages API fields: translated, or (metadata aside) knowingly ignored, see docs/surfaces.md. */
const KNOWN = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'thinking',
  'metadata',
  'output_config',
  'service_tier',
  'cache_control',
]);

const REFUSED: Record<string, string> = {
  top_k: 'chat completions has no top_k, so it cannot reach every provider; use temperature or top_p',
  container: 'code-execution containers are Anthropic-hosted and not served here',
  mcp_servers: 'remote MCP servers are Anthropic-hosted and not served here',
  context_management: 'context editing is Anthropic-hosted and not served here',
};

/**
 * An Anthropic Messages request (`POST /v1/messages`) as a chat completion request. Throws a request
 * error (400, Anthropic-shaped by the route) for what cannot be translated faithfully.
 */
export function mapMessagesRequest(body: Fields): ParsedRequest {
  screenFields(body, KNOWN, REFUSED, 'Messages API');
  const model = requiredString(body, 'model', 'e.g. "claude-sonnet-4-5", "groq/llama-3.3-70b-versatile"');
  const maxTokens = optionalNumber(body, 'max_tokens');
  if (maxTokens === undefined) throw missing('max_tokens', 'the most tokens to generate, e.g. 1024');
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw invalid('stream', 'a boolean', stream);

  const messages: ChatMessage[] = [];
  const system = systemText(body.system, 'system');
  if (system !== undefined) messages.push({ role: 'system', content: system });
  const input = body.messages;
  if (input === undefined) throw missing('messages', 'an array of {role, content}');
  if (!Array.isArray(input) || input.length === 0) throw invalid('messages', 'a non-empty array', input);
  for (const [index, message] of input.entries()) mapMessage(message, `messages[${index}]`, messages);

  const chat: Fields = { model, messages, max_tokens: maxTokens };
  const tools = mapTools(body.tools);
  if (tools.length > 0) chat.tools = tools;
  if (body.tool_choice !== undefined && body.tool_choice !== null)
    Object.assign(chat, mapToolChoice(body.tool_choice));
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) chat.top_p = topP;
  const stop = body.stop_sequences;
  if (stop !== undefined && stop !== null) {
    if (!Array.isArray(stop) || stop.some((entry) => typeof entry !== 'string')) {
      throw invalid('stop_sequences', 'an array of strings', stop);
    }
    if (stop.length > 0) chat.stop = stop;
  }
  const effort = reasoningEffort(body.thinking, body.output_config);
  if (effort !== undefined) chat.reasoning_effort = effort;
  const format = outputFormat(body.output_config);
  if (format !== undefined) chat.response_format = format;
  const metadata = body.metadata;
  if (isRecord(metadata) && typeof metadata.user_id === 'string') chat.user = metadata.user_id;
  if (stream === true) {
    chat.stream = true;
    // `message_delta` carries the usage, so it is always asked for.
    chat.stream_options = { include_usage: true };
  }
  return { body: chat, model, stream: stream === true };
}

function systemText(system: unknown, param: string): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system === '' ? undefined : system;
  if (!Array.isArray(system)) throw invalid(param, 'a string or an array of text blocks', system);
  return system
    .map((block, index) => {
      if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') {
        throw invalid(`${param}[${index}]`, 'a text block {"type":"text","text":…}', block);
      }
      return block.text;
    })
    .join('\n');
}

function mapMessage(message: unknown, param: string, out: ChatMessage[]): void {
  if (!isRecord(message)) throw invalid(param, 'a message object', message);
  const { role, content } = message;
  if (role === 'system') {
    const text = systemText(content, `${param}.content`);
    if (text !== undefined) out.push({ role: 'system', content: text });
    return;
  }
  if (role !== 'user' && role !== 'assistant') throw invalid(`${param}.role`, '"user" or "assistant"', role);
  if (typeof content === 'string') {
    out.push({ role, content });
    return;
  }
  if (!Array.isArray(content))
    throw invalid(`${param}.content`, 'a string or an array of content blocks', content);
  if (role === 'assistant') out.push(mapAssistant(content, `${param}.content`));
  else mapUser(content, `${param}.content`, out);
}

function mapAssistant(blocks: unknown[], param: string): ChatMessage {
  let text = '';
  const calls: ToolCall[] = [];
  blocks.forEach((block, index) => {
    const where = `${param}[${index}]`;
    if (!isRecord(block)) throw invalid(where, 'a content block', block);
    switch (block.type) {
      case 'text':
        text += typeof block.text === 'string' ? block.text : '';
        return;
      case 'tool_use':
        calls.push({
          id: stringField(block, 'id', where),
          type: 'function',
          function: { name: stringField(block, 'name', where), arguments: JSON.stringify(block.input ?? {}) },
        });
        return;
      case 'thinking':
      case 'redacted_thinking':
        // The model's earlier thinking: chat completions takes none back (see docs/surfaces.md).
        return;
      default:
        throw unsupported(
          `${where}.type`,
          `assistant blocks of type "${String(block.type)}" are not translated`,
        );
    }
  });
  const message: ChatMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

/**
 * Tool results become `tool` messages, which chat wants right after the assistant's calls, so they go
 * first; the rest of the user turn (text, images) follows as one user message.
 */
function mapUser(blocks: unknown[], param: string, out: ChatMessage[]): void {
  const parts: ContentPart[] = [];
  blocks.forEach((block, index) => {
    const where = `${param}[${index}]`;
    if (!isRecord(block)) throw invalid(where, 'a content block', block);
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') throw invalid(`${where}.text`, 'a string', block.text);
        parts.push({ type: 'text', text: block.text });
        return;
      case 'image':
        parts.push(mapImage(block, where));
        return;
      case 'tool_result':
        out.push({
          role: 'tool',
          tool_call_id: stringField(block, 'tool_use_id', where),
          content: toolResultText(block, where),
        });
        return;
      default:
        throw unsupported(`${where}.type`, `user blocks of type "${String(block.type)}" are not translated`);
    }
  });
  if (parts.length === 0) return;
  if (parts.every((part) => part.type === 'text')) {
    out.push({ role: 'user', content: parts.map((part) => part.text ?? '').join('') });
  } else {
    out.push({ role: 'user', content: parts });
  }
}

function mapImage(block: Fields, param: string): ContentPart {
  const source = block.source;
  if (!isRecord(source)) throw invalid(`${param}.source`, 'an image source object', source);
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string' || typeof source.data !== 'string') {
      throw invalid(`${param}.source`, '{"type":"base64","media_type":…,"data":…}', source);
    }
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === 'url' && typeof source.url === 'string')
    return { type: 'image_url', image_url: { url: source.url } };
  throw unsupported(
    `${param}.source.type`,
    `image sources of type "${String(source.type)}" are not translated (base64 and url are)`,
  );
}

/** Chat tool messages are text: text blocks are joined; an error result says so in words. */
function toolResultText(block: Fields, param: string): string {
  const content = block.content;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((part, index) => {
        if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
          throw unsupported(
            `${param}.content[${index}]`,
            'tool results are text in chat completions (no images or documents)',
          );
        }
        return part.text;
      })
      .join('');
  } else if (content !== undefined && content !== null) {
    throw invalid(`${param}.content`, 'a string or an array of text blocks', content);
  }
  return block.is_error === true ? `Error: ${text}` : text;
}

function mapTools(tools: unknown): ToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalid('tools', 'an array of tools', tools);
  return tools.map((tool, index) => {
    const param = `tools[${index}]`;
    if (!isRecord(tool)) throw invalid(param, 'a tool object', tool);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw unsupported(
        `${param}.type`,
        `server tool "${String(tool.type)}" is Anthropic-hosted and not served here; only custom tools are`,
      );
    }
    if (!isRecord(tool.input_schema))
      throw invalid(`${param}.input_schema`, 'a JSON schema object', tool.input_schema);
    const definition: ToolDefinition['function'] = {
      name: stringField(tool, 'name', param),
      parameters: tool.input_schema,
    };
    if (typeof tool.description === 'string') definition.description = tool.description;
    if (typeof tool.strict === 'boolean') definition.strict = tool.strict;
    return { type: 'function', function: definition };
  });
}

function mapToolChoice(choice: unknown): Fields {
  if (!isRecord(choice)) throw invalid('tool_choice', 'an object like {"type":"auto"}', choice);
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      if (typeof choice.name !== 'string') throw invalid('tool_choice.name', 'a tool name', choice.name);
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    default:
      throw invalid('tool_choice.type', 'one of "auto", "any", "tool", "none"', choice.type);
  }
}

/**
 * Anthropic's thinking budget as chat's effort words: the buckets follow the budgets the gateway's own
 * Anthropic adapter would send for each word, so a round trip lands where it started.
 */
function reasoningEffort(thinking: unknown, outputConfig: unknown): string | undefined {
  if (isRecord(outputConfig) && typeof outputConfig.effort === 'string') {
    return outputConfig.effort === 'max' ? 'xhigh' : outputConfig.effort;
  }
  if (thinking === undefined || thinking === null) return undefined;
  if (!isRecord(thinking))
    throw invalid('thinking', 'an object like {"type":"enabled","budget_tokens":2048}', thinking);
  switch (thinking.type) {
    case 'disabled':
      return undefined;
    case 'enabled': {
      const budget = thinking.budget_tokens;
      if (typeof budget !== 'number') throw invalid('thinking.budget_tokens', 'a number', budget);
      if (budget < 4096) return 'low';
      if (budget < 16384) return 'medium';
      return 'high';
    }
    case 'adaptive':
    case 'between_tools':
      return 'medium';
    default:
      throw invalid('thinking.type', 'one of "enabled", "adaptive", "disabled"', thinking.type);
  }
}

function outputFormat(outputConfig: unknown): Fields | undefined {
  if (!isRecord(outputConfig) || outputConfig.format === undefined || outputConfig.format === null)
    return undefined;
  const format = outputConfig.format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
    throw invalid('output_config.format', '{"type":"json_schema","schema":{…}}', format);
  }
  return { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
}

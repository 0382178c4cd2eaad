import type { UpstreamRequest } from '@llmgw/core';
import type { ChatCompletionRequest, ChatMessage } from '../openai-types.js';
import { type ImageSource, type Part, partsText, readParts, systemText } from '../shared/content.js';
import { joinUrl, requestHeaders } from '../shared/headers.js';
import type { JsonRecord } from '../shared/json.js';
import { compact, maxOutputTokens, stopList } from '../shared/messages.js';
import { admitParameters, createGuard, invalidParameter, type ParameterGuard } from '../shared/refusal.js';
import {
  type FunctionTool,
  type OutputFormat,
  parseArguments,
  readReasoningEffort,
  readResponseFormat,
  readToolChoice,
  readTools,
  type ToolMode,
  withoutSchemaMeta,
} from '../shared/tools.js';
import type { CallContext, ProviderSettings } from '../types.js';
import { anthropicDefaults, anthropicHeaders, STRUCTURED_OUTPUT_TOOL } from './config.js';

type Block = JsonRecord;

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

const TRANSLATED: ReadonlySet<string> = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
]);

const WHY: Record<string, string> = {
  n: 'Anthropic answers with exactly one choice',
  seed: 'Anthropic has no seed',
  presence_penalty: 'Anthropic has no presence penalty',
  frequency_penalty: 'Anthropic has no frequency penalty',
  logprobs: 'Anthropic returns no log probabilities',
  top_logprobs: 'Anthropic returns no log probabilities',
  logit_bias: 'Anthropic has no logit bias',
};

/** Thinking budgets per effort; Anthropic's minimum is 1024 tokens. */
const THINKING_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32000,
};
const MIN_THINKING_BUDGET = 1024;

function imageBlock(image: ImageSource): Block {
  return image.kind === 'data'
    ? { type: 'image', source: { type: 'base64', media_type: image.mimeType, data: image.data } }
    : { type: 'image', source: { type: 'url', url: image.url } };
}

const IMAGES = { supported: true } as const;

function contentBlocks(parts: Part[]): Block[] {
  return parts.map((part) =>
    part.kind === 'text' ? { type: 'text', text: part.text } : imageBlock(part.image),
  );
}

function assistantBlocks(message: ChatMessage, position: number, guard: ParameterGuard): Block[] {
  const blocks = contentBlocks(readParts(message.content, `messages[${position}].content`, guard, IMAGES));
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    const where = `messages[${position}].tool_calls[${index}].function.arguments`;
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments, where),
    });
  }
  return blocks;
}

/**
 * OpenAI chat → Messages turns: system/developer messages leave for the top-level `system`; tool
 * results become `tool_result` blocks of a user turn, so consecutive tool messages (and a user message
 * after them) merge into one user turn with the results first, as Anthropic requires; assistant tool
 * calls become `tool_use` blocks with the arguments as an object. Empty text turns are left out
 * (Anthropic rejects empty text blocks, and an empty turn carries no meaning anyway).
 */
function toMessages(messages: ChatMessage[], guard: ParameterGuard): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const [position, message] of messages.entries()) {
    const where = `messages[${position}].content`;
    if (message.role === 'assistant') push('assistant', assistantBlocks(message, position, guard));
    else if (message.role === 'user')
      push('user', contentBlocks(readParts(message.content, where, guard, IMAGES)));
    else if (message.role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
        throw invalidParameter(
          `messages[${position}].tool_call_id`,
          'a tool result needs the id of its call',
        );
      }
      const text = partsText(readParts(message.content, where, guard, IMAGES));
      push('user', [
        compact({
          type: 'tool_result',
          tool_use_id: message.tool_call_id,
          content: text === '' ? undefined : text,
        }),
      ]);
    }
  }
  return out;
}

function anthropicToolChoice(choice: ToolMode | undefined, parallel: boolean): Block | undefined {
  const single = parallel ? {} : { disable_parallel_tool_use: true };
  switch (choice?.mode) {
    case undefined:
      return parallel ? undefined : { type: 'auto', ...single };
    case 'none':
      return { type: 'none' };
    case 'auto':
      return { type: 'auto', ...single };
    case 'required':
      return { type: 'any', ...single };
    case 'named':
      return { type: 'tool', name: choice.name, ...single };
  }
}

function toolDefinition(tool: FunctionTool): Block {
  return compact({
    name: tool.name,
    description: tool.description,
    input_schema: tool.parameters ? withoutSchemaMeta(tool.parameters) : { type: 'object', properties: {} },
  });
}

/**
 * Messages has no JSON mode in the API version this adapter speaks, so structured output is asked for
 * the way Anthropic documents for every tool-capable model: one tool whose `input_schema` is the
 * wanted schema, and a `tool_choice` that forces it. The tool's input is the answer, returned as the
 * message text (response.ts). A forced tool excludes the caller's own tools and thinking (which only
 * allows `auto`/`none`), so those combinations are refused rather than half-honoured.
 */
function structuredOutput(
  format: OutputFormat,
  tools: FunctionTool[],
  thinking: boolean,
  guard: ParameterGuard,
): { tools: Block[]; tool_choice: Block } | undefined {
  if (format.kind === 'text') return undefined;
  if (tools.length > 0) {
    guard.refuse('response_format', 'JSON output is a forced tool here, which cannot be combined with tools');
    return undefined;
  }
  if (thinking) {
    guard.refuse(
      'response_format',
      'JSON output is a forced tool here, which thinking (reasoning_effort) does not allow',
    );
    return undefined;
  }
  const schema = format.kind === 'json_schema' ? withoutSchemaMeta(format.schema) : { type: 'object' };
  if (schema.type !== 'object') {
    guard.refuse('response_format.json_schema.schema', 'the schema must describe an object at its root');
    return undefined;
  }
  const description =
    format.kind === 'json_schema'
      ? `Give your answer as this tool's input: ${format.name}${format.description ? ` (${format.description})` : ''}.`
      : "Give your answer as this tool's input, a JSON object.";
  return {
    tools: [{ name: STRUCTURED_OUTPUT_TOOL, description, input_schema: schema }],
    tool_choice: { type: 'tool', name: STRUCTURED_OUTPUT_TOOL },
  };
}

/**
 * `reasoning_effort` → `thinking.budget_tokens`. Anthropic wants `max_tokens` above the budget and
 * counts thinking in it, like OpenAI's `max_completion_tokens`: a caller's limit is kept and the budget
 * fits under it; without one the answer keeps the default room on top of the budget.
 */
function thinkingFields(
  body: ChatCompletionRequest,
  settings: ProviderSettings,
  guard: ParameterGuard,
): { thinking?: Block; max_tokens: number } {
  const fallback = settings.maxTokensDefault ?? anthropicDefaults.maxTokensDefault;
  const limit = maxOutputTokens(body);
  const effort = readReasoningEffort(body);
  const wanted = effort === undefined ? undefined : THINKING_BUDGET[effort];
  if (wanted === undefined) return { max_tokens: limit ?? fallback };
  if (limit !== undefined && limit <= MIN_THINKING_BUDGET) {
    guard.refuse(
      'reasoning_effort',
      `thinking needs max_completion_tokens above ${MIN_THINKING_BUDGET} (got ${limit})`,
    );
    return { max_tokens: limit };
  }
  if (typeof body.temperature === 'number' && body.temperature !== 1) {
    guard.refuse('temperature', 'thinking (reasoning_effort) allows no temperature but 1');
  }
  if (typeof body.top_p === 'number' && body.top_p < 0.95) {
    guard.refuse('top_p', 'thinking (reasoning_effort) allows top_p only from 0.95 to 1');
  }
  const budget = limit === undefined ? wanted : Math.max(MIN_THINKING_BUDGET, Math.min(wanted, limit - 1));
  return { thinking: { type: 'enabled', budget_tokens: budget }, max_tokens: limit ?? budget + fallback };
}

export function toAnthropicBody(
  raw: ChatCompletionRequest,
  settings: ProviderSettings,
  guard: ParameterGuard,
): Record<string, unknown> {
  const body = admitParameters(raw, TRANSLATED, guard, (name) => WHY[name] ?? 'no translation for it exists');
  const tools = readTools(body, guard);
  let choice = readToolChoice(body, tools);
  const { thinking, max_tokens } = thinkingFields(body, settings, guard);
  if (thinking && (choice?.mode === 'required' || choice?.mode === 'named')) {
    guard.refuse('tool_choice', 'thinking (reasoning_effort) allows only auto or none');
    choice = undefined;
  }
  const forced = structuredOutput(readResponseFormat(body), tools, thinking !== undefined, guard);
  const system = systemText(body.messages, guard);
  const sampling = thinking === undefined;
  return compact({
    model: body.model,
    max_tokens,
    system: system === '' ? undefined : system,
    messages: toMessages(body.messages, guard),
    tools: forced?.tools ?? (tools.length > 0 ? tools.map(toolDefinition) : undefined),
    tool_choice:
      forced?.tool_choice ??
      (tools.length > 0 ? anthropicToolChoice(choice, body.parallel_tool_calls !== false) : undefined),
    thinking,
    // Anthropic's range is 0–1 where OpenAI's is 0–2; above 1 is "as random as it gets" for both.
    temperature: sampling && typeof body.temperature === 'number' ? Math.min(body.temperature, 1) : undefined,
    top_p: sampling || (body.top_p ?? 0) >= 0.95 ? (body.top_p ?? undefined) : undefined,
    stop_sequences: stopList(body.stop),
    stream: body.stream ? true : undefined,
    metadata: body.user ? { user_id: body.user } : undefined,
  });
}

export function buildChatRequest(ctx: CallContext, body: ChatCompletionRequest): UpstreamRequest {
  const translated = toAnthropicBody(body, ctx.settings, createGuard(ctx));
  return {
    method: 'POST',
    url: joinUrl(ctx.settings.baseUrl, 'messages'),
    headers: requestHeaders(
      ctx.settings,
      ctx.credential,
      anthropicHeaders(ctx.settings, body.stream === true),
    ),
    body: JSON.stringify(translated),
  };
}

export function buildModelsRequest(ctx: CallContext): UpstreamRequest {
  return {
    method: 'GET',
    url: joinUrl(ctx.settings.baseUrl, 'models?limit=1000'),
    headers: requestHeaders(ctx.settings, ctx.credential, anthropicHeaders(ctx.settings, false)),
  };
}

export function buildProbeRequest(ctx: CallContext, model: string): UpstreamRequest {
  if (ctx.settings.probeMethod === 'models') return buildModelsRequest(ctx);
  return buildChatRequest(ctx, { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });
}

import type { Usage } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

/** Anthropic counts cached input apart from `input_tokens`; chat's `prompt_tokens` includes it. */
export function mapUsage(usage: Usage | null | undefined): AnthropicUsage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: usage?.prompt_tokens_details?.cached_tokens === undefined ? null : cached,
  };
}

/** Chat's finish reason as Anthropic's stop reason. */
export function stopReasonOf(finishReason: string | null | undefined): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** A tool call's JSON-string arguments as the `input` object Anthropic clients expect. */
export function toolInput(args: string | undefined): unknown {
  if (args === undefined || args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    // A model that wrote broken JSON: the client still sees what it wrote rather than nothing.
    return { _raw_arguments: args };
  }
}

export function messageShell(id: string, model: string, content: Fields[], usage: AnthropicUsage): Fields {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
}

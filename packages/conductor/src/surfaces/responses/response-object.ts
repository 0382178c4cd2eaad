import type { Usage } from '@llmgw/providers';
import type { Fields } from '../shared/fields.js';
import type { ResponseEcho } from './request-to-chat.js';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Response envelope (`object: "response"`) around an output list, as the `openai` SDK types it. */
export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
  status: ResponseStatus;
  output: Fields[];
  usage: ResponseUsage | null;
  incompleteReason: string | null;
  error: { code: string; message: string } | null;
}

export function responseObject(shell: ResponseShell, echo: ResponseEcho): Fields {
  const response: Fields = {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status: shell.status,
    // Nothing is kept after the answer: `store: false` says so, whatever the request asked.
    background: false,
    error: shell.error,
    incomplete_details: shell.incompleteReason === null ? null : { reason: shell.incompleteReason },
    instructions: echo.instructions,
    max_output_tokens: echo.maxOutputTokens,
    metadata: echo.metadata ?? {},
    model: shell.model,
    output: shell.output,
    output_text: outputText(shell.output),
    parallel_tool_calls: echo.parallelToolCalls,
    previous_response_id: null,
    reasoning: echo.reasoning ?? { effort: null, summary: null },
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.toolChoice,
    tools: echo.tools,
    top_p: echo.topP,
    truncation: 'disabled',
    usage: shell.usage,
  };
  if (shell.status === 'completed' || shell.status === 'incomplete') response.completed_at = nowSeconds();
  if (echo.user !== undefined) response.user = echo.user;
  return response;
}

/** The SDK's `output_text` convenience: every output_text part of every message, concatenated. */
function outputText(output: Fields[]): string {
  let text = '';
  for (const item of output) {
    if (item.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content as Fields[])
      if (part.type === 'output_text') text += String(part.text ?? '');
  }
  return text;
}

export function mapUsage(usage: Usage | null | undefined): ResponseUsage | null {
  if (!usage) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

/** A chat finish reason as the Response's status and `incomplete_details.reason`. */
export function statusOf(finishReason: string | null | undefined): {
  status: ResponseStatus;
  reason: string | null;
} {
  if (finishReason === 'length') return { status: 'incomplete', reason: 'max_output_tokens' };
  if (finishReason === 'content_filter') return { status: 'incomplete', reason: 'content_filter' };
  return { status: 'completed', reason: null };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

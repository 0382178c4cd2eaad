import type { FailureStatus } from './behaviors.js';
import { openAiDialect } from './openai.js';
import type { ReplyPlan } from './reply.js';
import { argumentPieces, textOf } from './reply.js';
import { namedFrame } from './sse.js';
import {
  type Asks,
  createProblems,
  type Dialect,
  isObject,
  json,
  nextId,
  type OfferedTool,
  type Operation,
  type ParsedCall,
  type Problems,
  SSE_HEADERS,
  type StreamPlan,
  type WireResponse,
} from './wire.js';

/*
 * OpenAI's Responses API (`POST /v1/responses`), as the `openai` SDK's `responses.create` and
 * `responses.stream` read it. Failures are OpenAI's own error bodies (the same per-key behaviours as
 * chat); a stream that fails after content ends with an `error` event, as OpenAI's does.
 */

type Body = Record<string, unknown>;

/** What the answer echoes of the request, as OpenAI's Response does. */
interface Echo {
  instructions: unknown;
  tools: unknown;
  toolChoice: unknown;
}

// The Response echoes request fields; a ParsedCall only carries what every format shares.
const echoes = new WeakMap<ParsedCall, Echo>();
// Where a stream's events stopped being numbered, so a failure event numbers after all of them.
const lastSequence = new WeakMap<ParsedCall, number>();

function readItems(input: unknown, problems: Problems) {
  let promptText = typeof input === 'string' ? input : '';
  let lastUserText = typeof input === 'string' ? input : '';
  const callIds = new Set<string>();
  const toolResults: string[] = [];
  if (typeof input !== 'string' && !Array.isArray(input)) problems.add('input must be a string or an array');
  for (const [index, item] of (Array.isArray(input) ? input : []).entries()) {
    if (!isObject(item)) {
      problems.add(`input[${index}] must be an object`);
      continue;
    }
    if (item.type === 'function_call') {
      if (typeof item.call_id === 'string') callIds.add(item.call_id);
      toolResults.length = 0;
    } else if (item.type === 'function_call_output') {
      if (typeof item.call_id !== 'string' || !callIds.has(item.call_id)) {
        problems.add(`input[${index}] answers no function call made before`);
      }
      toolResults.push(typeof item.output === 'string' ? item.output : textOf(item.output));
    } else if (typeof item.role === 'string') {
      const text = textOf(item.content);
      promptText += text;
      if (item.role === 'user') lastUserText = text;
      toolResults.length = 0;
    }
  }
  return { promptText, lastUserText, toolResults };
}

function readTools(tools: unknown, problems: Problems): OfferedTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) {
    problems.add('tools must be an array');
    return [];
  }
  return tools.flatMap((tool: unknown, index) => {
    if (!isObject(tool) || tool.type !== 'function' || typeof tool.name !== 'string') {
      problems.add(`tools[${index}] must be {type: "function", name, parameters?}`);
      return [];
    }
    return [{ name: tool.name, schema: tool.parameters }];
  });
}

/** Reads a Responses request body: its text, tools, tool outputs, reasoning and JSON output. */
export function parseResponsesCall(operation: Operation, body: Body): ParsedCall {
  const problems = createProblems();
  const { promptText, lastUserText, toolResults } = readItems(body.input, problems);
  const tools = readTools(body.tools, problems);
  const choice = body.tool_choice;
  const forced = isObject(choice) && typeof choice.name === 'string' ? choice.name : undefined;
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : undefined;
  const reasoning = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  const instructions = typeof body.instructions === 'string' ? body.instructions : '';
  const asks: Asks = {
    tools,
    mayCall: tools.length > 0 && choice !== 'none',
    ...(forced === undefined ? {} : { forced }),
    parallel: body.parallel_tool_calls !== false,
    toolResults,
    images: [],
    reasoning: typeof reasoning === 'string' && reasoning !== 'none',
    ...(format?.type === 'json_object' ? { json: {} } : {}),
    ...(format?.type === 'json_schema' ? { json: { schema: format.schema } } : {}),
  };
  const problem = problems.first();
  const call: ParsedCall = {
    operation,
    model: typeof body.model === 'string' ? body.model : '',
    stream: body.stream === true,
    promptText: instructions + promptText,
    lastUserText,
    inputs: [],
    includeUsage: true,
    dimensions: 8,
    base64: false,
    sse: true,
    asks,
    ...(problem === undefined ? {} : { problem }),
  };
  echoes.set(call, {
    instructions: body.instructions ?? null,
    tools: body.tools ?? [],
    toolChoice: body.tool_choice ?? 'auto',
  });
  return call;
}

function usageOf(reply: ReplyPlan): Body {
  const output = reply.completionTokens + reply.reasoningTokens;
  return {
    input_tokens: reply.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reply.reasoningTokens },
    total_tokens: reply.promptTokens + output,
  };
}

/** The output items, each in its final form; `tk` ids tell this upstream's items from translated ones. */
function outputOf(reply: ReplyPlan): Body[] {
  const items: Body[] = [];
  if (reply.reasoning !== '') {
    items.push({
      id: nextId('rs_tk'),
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: reply.reasoning }],
    });
  }
  if (reply.toolCalls.length === 0) {
    items.push({
      id: nextId('msg_tk'),
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  for (const planned of reply.toolCalls) {
    items.push({
      id: nextId('fc_tk'),
      type: 'function_call',
      status: 'completed',
      call_id: nextId('call_tk'),
      name: planned.name,
      arguments: JSON.stringify(planned.args),
    });
  }
  return items;
}

function responseOf(call: ParsedCall, id: string, status: string, output: Body[], usage: Body | null): Body {
  const echo = echoes.get(call);
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: echo?.instructions ?? null,
    max_output_tokens: null,
    model: call.model,
    output,
    parallel_tool_calls: call.asks.parallel,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: echo?.toolChoice ?? 'auto',
    tools: echo?.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

function answer(call: ParsedCall, reply: ReplyPlan, models: readonly string[]): WireResponse {
  if (call.operation !== 'chat') return openAiDialect.answer(call, reply, models);
  return json(200, responseOf(call, nextId('resp_tk'), 'completed', outputOf(reply), usageOf(reply)));
}

/**
 * The typed events, numbered in order: the Response announced, each output item opened, filled
 * (text in the reply's word pieces, arguments in halves) and closed, then `response.completed`.
 */
function stream(call: ParsedCall, reply: ReplyPlan): StreamPlan {
  const id = nextId('resp_tk');
  const final = outputOf(reply);
  let sequence = 0;
  const event = (type: string, payload: Body) =>
    namedFrame(type, { type, ...payload, sequence_number: sequence++ });
  const opened = (item: Body): Body =>
    item.type === 'message'
      ? { ...item, status: 'in_progress', content: [] }
      : item.type === 'function_call'
        ? { ...item, status: 'in_progress', arguments: '' }
        : { ...item, content: [] };
  const head: string[] = [
    event('response.created', { response: responseOf(call, id, 'in_progress', [], null) }),
    event('response.in_progress', { response: responseOf(call, id, 'in_progress', [], null) }),
  ];
  const pieces: string[] = [];
  const tail: string[] = [];
  for (const [index, item] of final.entries()) {
    const at = { output_index: index, item_id: item.id };
    const added = event('response.output_item.added', { output_index: index, item: opened(item) });
    const done = () => event('response.output_item.done', { output_index: index, item });
    if (item.type === 'message') {
      const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      head.push(added, event('response.content_part.added', { ...at, content_index: 0, part }));
      for (const piece of reply.pieces) {
        pieces.push(
          event('response.output_text.delta', { ...at, content_index: 0, delta: piece, logprobs: [] }),
        );
      }
      tail.push(
        event('response.output_text.done', { ...at, content_index: 0, text: reply.text, logprobs: [] }),
        event('response.content_part.done', { ...at, content_index: 0, part: { ...part, text: reply.text } }),
        done(),
      );
    } else if (item.type === 'function_call') {
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      tail.push(added);
      for (const piece of argumentPieces(JSON.parse(args) as Record<string, unknown>)) {
        tail.push(event('response.function_call_arguments.delta', { ...at, delta: piece }));
      }
      tail.push(
        event('response.function_call_arguments.done', { ...at, name: item.name, arguments: args }),
        done(),
      );
    } else {
      // Reasoning comes first, whole, before the answer's text starts.
      const text = reply.reasoning;
      head.push(
        added,
        event('response.reasoning_text.delta', { ...at, content_index: 0, delta: text }),
        event('response.reasoning_text.done', { ...at, content_index: 0, text }),
        done(),
      );
    }
  }
  tail.push(
    event('response.completed', { response: responseOf(call, id, 'completed', final, usageOf(reply)) }),
  );
  lastSequence.set(call, sequence);
  return { headers: SSE_HEADERS, head: head.join(''), pieces, tail: tail.join('') };
}

/** OpenAI's mid-stream failure: an `error` event naming the failure, after which the stream ends. */
function streamFailure(status: FailureStatus, call: ParsedCall): string {
  const { body } = openAiDialect.failure({ kind: 'status', status }, { call, key: '', now: Date.now() });
  const parsed = JSON.parse(body) as { error?: { message?: string; code?: string | null; type?: string } };
  const error = parsed.error ?? {};
  return namedFrame('error', {
    type: 'error',
    code: error.code ?? error.type ?? 'server_error',
    message: error.message ?? 'The server had an error while processing your request.',
    param: null,
    sequence_number: lastSequence.get(call) ?? 0,
  });
}

export const openAiResponsesDialect: Dialect = {
  provider: 'openai',
  answer,
  stream,
  failure: openAiDialect.failure,
  streamFailure,
  ...(openAiDialect.rateLimitHeaders ? { rateLimitHeaders: openAiDialect.rateLimitHeaders } : {}),
};

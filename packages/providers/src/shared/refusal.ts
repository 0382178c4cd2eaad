import { isLlmgwError, LlmgwError } from '@llmgw/core';
import type { CallContext, ProviderSettings } from '../types.js';

/** The client error codes a refusal carries (the `code` of the OpenAI-shaped 400). */
export type RefusalCode = 'unsupported_parameter' | 'invalid_parameter';

/**
 * A request an adapter will not send, decided before any upstream call: the caller's request (not the
 * key) is the problem, so the conductor answers 400 with `code` and leaves the triple untouched.
 */
export type RequestRefusal = LlmgwError & {
  readonly code: RefusalCode;
  /** The parameter named in the message, e.g. `parallel_tool_calls`, `messages[1].content[0]`. */
  readonly parameter: string;
};

function createRefusal(code: RefusalCode, parameter: string, message: string): RequestRefusal {
  const error = new LlmgwError(message, { reason: 'bad_request', status: 400 });
  return Object.assign(error, { code, parameter });
}

export function isRequestRefusal(value: unknown): value is RequestRefusal {
  return isLlmgwError(value) && 'code' in value && 'parameter' in value && value.reason === 'bad_request';
}

/** Names the provider both ways an operator knows it: its configured name and its type. */
function providerLabel(settings: Pick<ProviderSettings, 'name' | 'type'>): string {
  return settings.name === settings.type ? settings.type : `${settings.name} (${settings.type})`;
}

export function unsupportedParameter(
  settings: Pick<ProviderSettings, 'name' | 'type'>,
  parameter: string,
  why: string,
): RequestRefusal {
  return createRefusal(
    'unsupported_parameter',
    parameter,
    `parameter ${parameter} is not supported by provider ${providerLabel(settings)}: ${why}`,
  );
}

/** A value the adapter must understand to translate it (a tool call whose arguments are not JSON…). */
export function invalidParameter(parameter: string, why: string): RequestRefusal {
  return createRefusal('invalid_parameter', parameter, `invalid ${parameter}: ${why}`);
}

/**
 * Where a translator reports what it cannot honour: without `drop_unsupported` it throws the refusal;
 * with it, the drop is reported to `onDropped` and `refuse` returns, so the caller leaves the value out.
 */
export interface ParameterGuard {
  refuse(parameter: string, why: string): void;
}

export function createGuard(ctx: Pick<CallContext, 'settings' | 'onDropped'>): ParameterGuard {
  return {
    refuse(parameter, why) {
      if (ctx.settings.dropUnsupported !== true) throw unsupportedParameter(ctx.settings, parameter, why);
      ctx.onDropped?.(parameter);
    },
  };
}

/** Parameters every adapter takes care of itself. */
const ALWAYS = new Set(['model', 'messages', 'stream', 'stream_options']);

/**
 * Parameters with no effect on the answer (identifiers, storage and routing hints): ignoring them
 * changes nothing the caller can observe, so they are not refused.
 */
const ADVISORY = new Set([
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'metadata',
  'store',
  'service_tier',
]);

/** OpenAI's own defaults: sending them asks for nothing, so no provider has to honour them. */
const DEFAULTS: Record<string, unknown> = {
  n: 1,
  logprobs: false,
  top_logprobs: 0,
  presence_penalty: 0,
  frequency_penalty: 0,
  parallel_tool_calls: true,
};

/**
 * The body with every top-level parameter this adapter does not translate either refused (thrown) or,
 * under `drop_unsupported`, removed. `translated` are the ones the adapter maps; null counts as unset.
 */
export function admitParameters<T extends Record<string, unknown>>(
  body: T,
  translated: ReadonlySet<string>,
  guard: ParameterGuard,
  why: (parameter: string) => string = () => 'no translation for it exists',
): T {
  let admitted = body;
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined || value === null || ALWAYS.has(name) || translated.has(name)) continue;
    if (ADVISORY.has(name) || (Object.hasOwn(DEFAULTS, name) && DEFAULTS[name] === value)) continue;
    guard.refuse(name, why(name));
    if (admitted === body) admitted = { ...body };
    delete admitted[name];
  }
  return admitted;
}

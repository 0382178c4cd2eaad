import type { ProviderSettings } from '../types.js';

export const anthropicDefaults = {
  baseUrl: 'https://api.anthropic.com/v1',
  auth: 'x-api-key',
  headers: {},
  apiVersion: '2023-06-01',
  maxTokensDefault: 4096,
  probeMethod: 'chat',
} as const satisfies Partial<ProviderSettings>;

export function anthropicHeaders(settings: ProviderSettings, stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': settings.apiVersion ?? anthropicDefaults.apiVersion,
  };
}

/**
 * The tool that carries structured output (`response_format`): forced on the request, read back as the
 * answer's text. A fixed, unlikely name lets the response parsers recognise it without the request.
 */
export const STRUCTURED_OUTPUT_TOOL = 'llmgw_json_output';

import type { ClientError } from '../../contracts.js';

/** Anthropic's error type for a status (its documented table; anything else 4xx is a bad request). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/**
 * `{"type":"error","error":{type,message}}` with the gateway's status, so Anthropic SDKs raise their
 * matching error classes; the gateway's own code (e.g. `unsupported_parameter`) leads the message.
 */
export function messagesErrorResponse(error: ClientError, headers: Record<string, string>): Response {
  const responseHeaders: Record<string, string> = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
  };
  if (error.status === 429) {
    responseHeaders['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSec ?? 1)));
  }
  const requestId = headers['x-request-id'];
  if (requestId !== undefined) responseHeaders['request-id'] = requestId;
  const message = `${error.code}: ${error.message}`;
  return new Response(anthropicErrorBody(anthropicErrorType(error.status), message), {
    status: error.status,
    headers: responseHeaders,
  });
}

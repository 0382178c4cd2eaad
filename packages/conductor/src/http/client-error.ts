import type { ClientError } from '../contracts.js';

/**
 * Every error a client sees leaves through here, in OpenAI's shape (`{"error":{message,type,code}}`),
 * so OpenAI SDKs surface the message instead of a parse failure.
 */
export function clientErrorResponse(error: ClientError, headers: Record<string, string> = {}): Response {
  const responseHeaders: Record<string, string> = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
  };
  if (error.status === 429) {
    // A 429 without Retry-After makes well-behaved clients guess; at least one second, whole seconds.
    responseHeaders['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSec ?? 1)));
  }
  const body = { error: { message: error.message, type: error.type, code: error.code } };
  return new Response(JSON.stringify(body), { status: error.status, headers: responseHeaders });
}

/** A 400 that is the caller's fault: type `invalid_request_error`, as OpenAI reports it. */
export function invalidRequest(message: string, code = 'invalid_request_error'): ClientError {
  return { status: 400, message, type: 'invalid_request_error', code };
}

import { isLlmgwError } from '@llmgw/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { AppEnv } from './app-env.js';
import { clientErrorResponse } from './client-error.js';

/**
 * The one place an unexpected failure becomes a response: OpenAI-shaped, with the request id to find
 * the log line, never a stack trace or an internal message (which could name a key or a proxy).
 */
export function handleError(log: Logger) {
  return function onError(error: Error, c: Context<AppEnv>): Response {
    const requestId = c.get('requestId');
    if (error instanceof HTTPException && error.status < 500) {
      return clientErrorResponse({
        status: error.status,
        message: error.message || 'The request could not be processed.',
        type: 'invalid_request_error',
        code: 'invalid_request_error',
      });
    }
    if (isLlmgwError(error) && error.status !== undefined && error.status >= 400 && error.status < 500) {
      // Raised deliberately for the caller, with a message written for them.
      return clientErrorResponse({
        status: error.status,
        message: error.message,
        type: 'invalid_request_error',
        code: error.reason ?? 'invalid_request_error',
      });
    }
    log.error({ requestId, error: `${error.name}: ${error.message}` }, 'request failed unexpectedly');
    return clientErrorResponse({
      status: 500,
      message: `The gateway failed unexpectedly (request id ${requestId ?? 'unknown'}); its log has the details.`,
      type: 'server_error',
      code: 'internal_error',
    });
  };
}

/**
 * Every route the conductor serves, for the 404 message: kept beside app.ts's mounts, so a route
 * added there is listed here too.
 */
const SERVED_ROUTES = [
  'POST /v1/chat/completions',
  'POST /v1/embeddings',
  'GET /v1/models',
  'POST /v1/responses',
  'POST /v1/messages',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  '/admin/* (status, keys, history)',
  'GET /dashboard',
] as const;

/** Unknown paths answer like OpenAI does, and say what is served here. */
export function handleNotFound(c: Context<AppEnv>): Response {
  return clientErrorResponse({
    status: 404,
    message: `No route for ${c.req.method} ${c.req.path}. This gateway serves ${SERVED_ROUTES.join(', ')}.`,
    type: 'invalid_request_error',
    code: 'not_found',
  });
}

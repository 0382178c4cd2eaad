import { verbatimJson } from '@llmgw/providers';
import type { RelayResult } from '../contracts.js';
import { clientErrorResponse } from './client-error.js';

/**
 * The relay's outcome as the HTTP response, with the relay's `x-llm-*` headers kept. Headers are plain
 * objects: @hono/node-server writes those straight to the socket, while a `Headers` instance (or any
 * later `res.headers` access) makes it build a full WHATWG Response per request.
 */
export function relayResponse(result: RelayResult): Response {
  switch (result.kind) {
    case 'json':
      return new Response(verbatimJson(result.body) ?? JSON.stringify(result.body), {
        status: result.status,
        headers: { ...result.headers, 'content-type': 'application/json; charset=utf-8' },
      });
    case 'stream':
      return new Response(result.body, {
        status: 200,
        headers: {
          ...result.headers,
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          // Reverse proxies (nginx) would otherwise buffer the stream and deliver it all at the end.
          'x-accel-buffering': 'no',
        },
      });
    case 'error':
      return clientErrorResponse(result.error, result.headers);
  }
}

import type { RelayResult } from '../contracts.js';
import { clientErrorResponse } from './client-error.js';

/** The relay's outcome as the HTTP response, with the relay's `x-llm-*` headers kept. */
export function relayResponse(result: RelayResult): Response {
  switch (result.kind) {
    case 'json': {
      const headers = new Headers(result.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      return new Response(JSON.stringify(result.body), { status: result.status, headers });
    }
    case 'stream': {
      const headers = new Headers(result.headers);
      headers.set('content-type', 'text/event-stream');
      headers.set('cache-control', 'no-cache');
      // Reverse proxies (nginx) would otherwise buffer the stream and deliver it all at the end.
      headers.set('x-accel-buffering', 'no');
      return new Response(result.body, { status: 200, headers });
    }
    case 'error':
      return clientErrorResponse(result.error, result.headers);
  }
}

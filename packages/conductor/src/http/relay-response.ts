import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { verbatimJson } from '@llmgw/providers';
import type { RelayHeaders, RelayResult } from '../contracts.js';
import { clientErrorResponse } from './client-error.js';
import { writeSse } from './write-sse.js';

/**
 * The relay's outcome as the HTTP response, with the relay's `x-llm-*` headers kept. Headers are plain
 * objects: @hono/node-server writes those straight to the socket, while a `Headers` instance (or any
 * later `res.headers` access) makes it build a full WHATWG Response per request.
 */
export function relayResponse(result: RelayResult, outgoing?: ServerResponse): Response {
  switch (result.kind) {
    case 'json': {
      const text = verbatimJson(result.body) ?? JSON.stringify(result.body);
      const headers: RelayHeaders = { ...result.headers, 'content-type': 'application/json; charset=utf-8' };
      // On the gateway's own server an answer goes straight to the socket, as a stream does: no
      // Response to build and read back, and it leaves before Hono unwinds its middlewares. Only a
      // 200, which is what the access line reads off RESPONSE_ALREADY_SENT.
      if (outgoing !== undefined && result.status === 200) {
        headers['content-length'] = String(Buffer.byteLength(text));
        outgoing.writeHead(200, headers);
        outgoing.end(text);
        return RESPONSE_ALREADY_SENT;
      }
      return new Response(text, { status: result.status, headers });
    }
    case 'stream': {
      const headers = {
        ...result.headers,
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        // Reverse proxies (nginx) would otherwise buffer the stream and deliver it all at the end.
        'x-accel-buffering': 'no',
      };
      // On the gateway's own server a chat stream goes straight to the socket (see writeSse); a feed
      // someone already read as a web stream (cache, coalescing) stays one.
      if (outgoing !== undefined && result.feed?.claim() === true) {
        writeSse(outgoing, headers, result.feed);
        return RESPONSE_ALREADY_SENT;
      }
      return new Response(result.body, { status: 200, headers });
    }
    case 'error':
      return clientErrorResponse(result.error, result.headers);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the middleware leaves on the Hono context, and what @hono/node-server binds (absent in tests). */
export interface AppEnv {
  Bindings: {
    incoming?: IncomingMessage;
    outgoing?: ServerResponse;
  };
  Variables: {
    requestId: string;
    /** Set by a route whose response already carries `x-request-id` (no header rewrite needed). */
    responseTagged?: boolean;
    /** What the relay did, for the request log line (read here, not from the response headers). */
    relayFacts?: { provider?: string; model?: string; attempts?: string };
  };
}

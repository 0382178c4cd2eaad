import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the middleware leaves on the Hono context, and what @hono/node-server binds (absent in tests). */
export interface AppEnv {
  Bindings: {
    incoming?: IncomingMessage;
    outgoing?: ServerResponse;
  };
  Variables: {
    requestId: string;
  };
}

import type { ClientError } from '../../contracts.js';
import { clientErrorResponse } from '../../http/client-error.js';

/** The Responses API reports errors exactly like chat completions: `{"error":{message,type,code}}`. */
export function responsesErrorResponse(error: ClientError, headers: Record<string, string>): Response {
  return clientErrorResponse(error, headers);
}

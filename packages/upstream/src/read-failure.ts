import type { UpstreamFailure } from '@llmgw/core';
import type { UpstreamResponse } from '@llmgw/http';

// Error bodies are small; a misbehaving upstream must not make us buffer megabytes to classify it.
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Reads an error response into the facts the classifier needs, bounded in size. */
export async function readFailure(response: UpstreamResponse): Promise<UpstreamFailure> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      if (size + chunk.byteLength > MAX_ERROR_BODY_BYTES) {
        chunks.push(chunk.subarray(0, MAX_ERROR_BODY_BYTES - size));
        break;
      }
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  } catch {
    // A body cut while reading an error still leaves the status to classify by.
  }
  return { status: response.status, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
}

import type { IncomingMessage } from 'node:http';
import { type AbortCell, type AbortWatch, createAbortCell } from '@llmgw/core';
import type { Context } from 'hono';
import type { ClientError } from '../contracts.js';
import type { AppEnv } from './app-env.js';
import { requestHeader } from './request-header.js';

export type BodyResult = { ok: true; text: string } | { ok: false; error: ClientError };

/**
 * Reads the request body, enforcing gateway.body_limit while reading (a lying or absent Content-Length
 * cannot smuggle more in). Under Node it reads the socket directly: building a WHATWG Request and a
 * web stream for every call costs more than everything else the gateway does with the body.
 */
export async function readBody(c: Context<AppEnv>, maxBytes: number): Promise<BodyResult> {
  const declared = Number(requestHeader(c, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(maxBytes);
  const incoming = c.env?.incoming;
  if (incoming) return readIncoming(incoming, maxBytes);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const body = c.req.raw.body;
  if (!body) return { ok: true, text: '' };
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) return tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Keep the socket so the 413 can be sent; what is left of the body is read and discarded.
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.resume();
      resolve(tooLarge(maxBytes));
    };
    const onEnd = () => resolve({ ok: true, text: Buffer.concat(chunks, size).toString('utf8') });
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', () => resolve({ ok: true, text: '' }));
  });
}

/**
 * Aborts when the client goes away before its response is finished (no WHATWG Request needed). The
 * cell comes along as `controller` when it is this request's own, so the relay can use it as the
 * request's.
 */
export function clientAbort(c: Context<AppEnv>): { signal: AbortWatch; controller?: AbortCell } {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return { signal: c.req.raw.signal };
  const controller = createAbortCell();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return { signal: controller, controller };
}

function tooLarge(maxBytes: number): BodyResult {
  return {
    ok: false,
    error: {
      status: 413,
      message: `The request body is larger than this gateway accepts (${formatBytes(maxBytes)}, gateway.body_limit).`,
      type: 'invalid_request_error',
      code: 'request_too_large',
    },
  };
}

function formatBytes(bytes: number): string {
  // The units config accepts (1024-based), so the message reads like the setting.
  const units = [' bytes', 'kb', 'mb', 'gb'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[unit]}`;
}

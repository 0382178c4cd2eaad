import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './app-env.js';
import { clientErrorResponse } from './client-error.js';

/**
 * gateway.body_limit, enforced while reading (a lying or absent Content-Length cannot smuggle more in),
 * answered in OpenAI's error shape rather than hono's plain-text 413.
 */
export function requestBodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () =>
      clientErrorResponse({
        status: 413,
        message: `The request body is larger than this gateway accepts (${formatBytes(maxBytes)}, gateway.body_limit).`,
        type: 'invalid_request_error',
        code: 'request_too_large',
      }),
  });
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

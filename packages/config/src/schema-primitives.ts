import ms from 'ms';
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

/**
 * A duration as operators write it ("15m", "30s", "6h", "7d") or an integer of milliseconds.
 * Parsed to milliseconds once here so no other module ever parses a duration string.
 */
export function duration(options: { allowZero?: boolean } = {}) {
  const floor = options.allowZero ? 0 : 1;
  return z
    .union([z.string(), z.number()], { error: 'expected a duration like "30s", "15m", "6h" or milliseconds' })
    .transform((value, ctx) => {
      const parsed = typeof value === 'number' ? value : parseDuration(value);
      if (parsed === undefined || !Number.isInteger(parsed) || parsed < floor) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid duration ${JSON.stringify(value)}: use e.g. "30s", "15m", "6h", "7d" or whole milliseconds${floor > 0 ? ' above 0' : ''}`,
        });
        return z.NEVER;
      }
      return parsed;
    });
}

function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  // `ms` reads a bare "100" as 100 ms; accept that, but reject anything it cannot parse.
  const value: unknown = trimmed === '' ? undefined : ms(trimmed as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A byte size as "10mb", "512kb" or an integer of bytes. */
export function byteSize() {
  return z
    .union([z.string(), z.number()], { error: 'expected a size like "10mb" or bytes' })
    .transform((value, ctx) => {
      const parsed = typeof value === 'number' ? value : parseSize(value);
      if (parsed === undefined || !Number.isInteger(parsed) || parsed <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid size ${JSON.stringify(value)}: use e.g. "10mb", "512kb" or bytes`,
        });
        return z.NEVER;
      }
      return parsed;
    });
}

function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!match?.[1]) return undefined;
  const unit = SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/** A node-cron expression; checked with node-cron itself so the keeper never meets a bad one at runtime. */
export function cronExpression() {
  return z.string().refine((value) => isValidCron(value), {
    error: (issue) =>
      `invalid cron expression ${JSON.stringify(issue.input)}: use 5 fields ("*/5 * * * *") or 6 with seconds ("*/10 * * * * *")`,
  });
}

export function positiveInt(what = 'a positive integer') {
  return z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what}` });
}

/** A rate limit: a positive integer, or null for "no limit known / unlimited". */
export const limitValue = z
  .number({ error: 'expected a positive integer or null (unlimited)' })
  .int({ error: 'expected a positive integer or null (unlimited)' })
  .positive({ error: 'expected a positive integer or null (unlimited)' })
  .nullable();

export const LIMIT_KINDS = ['rpm', 'rpd', 'tpm', 'concurrency'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const GATEWAY_MODES = ['auto', 'online', 'offline'] as const;

/** An http(s) URL; other schemes would only fail later, at the first request. */
export function httpUrl(what = 'URL') {
  return z.string().refine((value) => isHttpUrl(value), {
    error: (issue) => `invalid ${what} ${JSON.stringify(issue.input)}: expected http:// or https://`,
  });
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A string that must not be blank: an empty `${VAR:-}` substitution should not pass silently. */
export function nonEmptyString(what = 'a non-empty string') {
  return z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, { error: `expected ${what}` });
}

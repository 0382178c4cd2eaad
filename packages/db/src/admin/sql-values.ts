/** Raw-query helpers shared by the admin reads: both drivers hand back the same JS values through these. */

/** `extract(epoch …)` in ms as float8, so node-postgres and PGlite both return a number (or null). */
export const msOf = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/** An epoch-ms column value as an ISO string (null stays null): what the admin JSON carries. */
export function isoOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const ms = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** bigint/int values as numbers, whatever the driver returned (string, bigint or number). */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return 0;
}

export function nullableNumberOf(value: unknown): number | null {
  return value === null || value === undefined ? null : numberOf(value);
}

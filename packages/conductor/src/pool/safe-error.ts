/**
 * What of a database error may reach a log line: its message and code, never the whole object. A
 * drizzle query error lists the query's parameters in its message and a driver error's `detail` can
 * quote a row, so the driver's own error (the `cause`) is described instead. (The keeper has the same
 * rule in its own safe-error.ts; services do not import each other.)
 */
export function safeError(error: unknown): { message: string; code?: string } {
  const reported =
    error instanceof Error && 'params' in error && 'query' in error && error.cause !== undefined
      ? error.cause
      : error;
  const message = reported instanceof Error ? reported.message : String(reported);
  const code =
    typeof reported === 'object' &&
    reported !== null &&
    'code' in reported &&
    typeof reported.code === 'string'
      ? reported.code
      : undefined;
  return code === undefined ? { message } : { message, code };
}

/**
 * What of a database error may reach a log line: the driver's message and code, never the whole
 * object. A drizzle query error lists the query's parameters in its message (API keys among them when
 * keys are written) and a driver error's `detail` can quote a row, so the driver's own error (the
 * `cause`) is described instead. Every service logs database errors through this.
 */
export function describeDbError(error: unknown): { message: string; code?: string } {
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

/**
 * What of an error may reach a log line. Drizzle's query error lists the query's parameters in its
 * message — keys among them when the sync writes a batch — so the driver's error it wraps (its
 * `cause`) is described instead. A database error's `detail` can quote a whole row and is never read.
 */
export function safeErrorMessage(error: unknown): string {
  const reported = unwrapQueryError(error);
  return reported instanceof Error ? reported.message : String(reported);
}

/** The driver's error code (a SQLSTATE like `23505`, or ECONNREFUSED), if there is one. */
export function safeErrorCode(error: unknown): string | undefined {
  const reported = unwrapQueryError(error);
  return typeof reported === 'object' &&
    reported !== null &&
    'code' in reported &&
    typeof reported.code === 'string'
    ? reported.code
    : undefined;
}

function unwrapQueryError(error: unknown): unknown {
  return error instanceof Error && 'params' in error && 'query' in error && error.cause !== undefined
    ? error.cause
    : error;
}

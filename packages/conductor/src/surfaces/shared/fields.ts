import type { ClientError } from '../../contracts.js';

export type Fields = Record<string, unknown>;

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A translation failure: always the caller's request (400), with the parameter it is about. */
export type SurfaceRequestError = Error & { readonly surfaceCode: string; readonly param: string | null };

export function requestError(
  message: string,
  code: string,
  param: string | null = null,
): SurfaceRequestError {
  return Object.assign(new Error(message), { surfaceCode: code, param });
}

export function isRequestError(error: unknown): error is SurfaceRequestError {
  return error instanceof Error && typeof (error as Partial<SurfaceRequestError>).surfaceCode === 'string';
}

export function toClientError(error: SurfaceRequestError): ClientError {
  return { status: 400, message: error.message, type: 'invalid_request_error', code: error.surfaceCode };
}

export function unsupported(param: string, why: string): SurfaceRequestError {
  return requestError(`"${param}" is not supported by this gateway: ${why}`, 'unsupported_parameter', param);
}

export function invalid(param: string, expected: string, value: unknown): SurfaceRequestError {
  return requestError(
    `Invalid "${param}": expected ${expected}, got ${describe(value)}.`,
    'invalid_type',
    param,
  );
}

export function missing(param: string, example: string): SurfaceRequestError {
  return requestError(
    `Missing required parameter "${param}" (${example}).`,
    'missing_required_parameter',
    param,
  );
}

/** Parses the request text as a JSON object, or says precisely why not. */
export function parseJsonObject(text: string): Fields {
  if (text.trim() === '')
    throw requestError('The request body is empty: send a JSON object.', 'invalid_json');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw requestError(`The request body is not valid JSON: ${detail}`, 'invalid_json');
  }
  if (!isRecord(body)) {
    throw requestError(`The request body must be a JSON object, got ${describe(body)}.`, 'invalid_json');
  }
  return body;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function optionalNumber(body: Fields, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'a number', value);
  return value;
}

export function requiredString(body: Fields, field: string, example: string): string {
  const value = body[field];
  if (value === undefined) throw missing(field, example);
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'a non-empty string', value);
  return value.trim();
}

/** A non-empty string inside the request (`param` says where), taken as sent. */
export function stringField(fields: Fields, field: string, param: string): string {
  const value = fields[field];
  if (typeof value !== 'string' || value === '')
    throw invalid(`${param}.${field}`, 'a non-empty string', value);
  return value;
}

/**
 * No silent drops (SPEC §7): every top-level field must be one the surface translates, and a known
 * field it cannot honour is refused with its reason. `api` names the surface in the message.
 */
export function screenFields(
  body: Fields,
  known: ReadonlySet<string>,
  refused: Readonly<Record<string, string>>,
  api: string,
): void {
  for (const field of Object.keys(body)) {
    const why = refused[field];
    if (why !== undefined && body[field] !== null && body[field] !== undefined) throw unsupported(field, why);
    if (why === undefined && !known.has(field)) {
      throw unsupported(field, `it is not a ${api} parameter this gateway translates`);
    }
  }
}

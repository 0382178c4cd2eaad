import { type AbortWatch, isLlmgwError, LlmgwError, type TransportFailure } from '@llmgw/core';
import { PROXY_CODE_PREFIX, PROXY_STATUS_PREFIX, PROXY_TUNNEL_TIMEOUT } from './proxy-codes.js';

/** A call that failed below HTTP: the reason is set, so callers fail over on `reason` like on any other. */
export class HttpTransportError extends LlmgwError {
  readonly transport: TransportFailure;
  /** undici / Node code (`UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`) or ours for the proxy phase (`PROXY_STATUS_407`). */
  readonly code: string;

  constructor(message: string, options: { transport: TransportFailure; code: string; cause?: unknown }) {
    super(message, { reason: options.transport, cause: options.cause });
    this.name = 'HttpTransportError';
    this.transport = options.transport;
    this.code = options.code;
  }
}

/** The caller's signal ended the call (client went away): not a failure of the key, proxy or upstream. */
export class ClientAbortError extends LlmgwError {
  readonly aborted = true;

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ClientAbortError';
  }
}

// By shape on top of the core brand, so a second copy of this package in node_modules still matches.
export function isHttpTransportError(value: unknown): value is HttpTransportError {
  return isLlmgwError(value) && typeof Reflect.get(value, 'transport') === 'string';
}

export function isClientAbort(value: unknown): value is ClientAbortError {
  return isLlmgwError(value) && Reflect.get(value, 'aborted') === true;
}

export type TransportClassification =
  | { kind: 'failure'; transport: TransportFailure; code: string }
  | { kind: 'aborted' }
  /** Not the network's fault (invalid argument, dispatcher already closed): a bug or shutdown, never a verdict. */
  | { kind: 'unexpected'; code: string | undefined };

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  PROXY_TUNNEL_TIMEOUT,
]);

const ABORT_CODES = new Set(['UND_ERR_ABORTED', 'ABORT_ERR']);

/** A proxy that reached CONNECT but not the target reports the upstream's state, not its own. */
const UPSTREAM_UNREACHABLE_VIA_PROXY = new Set([
  `${PROXY_STATUS_PREFIX}502`,
  `${PROXY_STATUS_PREFIX}503`,
  `${PROXY_STATUS_PREFIX}504`,
]);

const UNEXPECTED_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
]);

function readCode(error: object): string | undefined {
  const code = Reflect.get(error, 'code');
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect rejects with an AggregateError of one error per address tried.
  if (error instanceof AggregateError) {
    const first: unknown = error.errors[0];
    return typeof first === 'object' && first !== null ? readCode(first) : undefined;
  }
  return undefined;
}

/**
 * Sorts a thrown value into one transport reason, by error code only (never message text). The caller's
 * signal wins over the code: undici rejects with whatever reason the signal was aborted with, which
 * need not carry any code at all.
 */
export function classifyTransportError(error: unknown, signal?: AbortWatch): TransportClassification {
  if (signal?.aborted) return { kind: 'aborted' };
  if (typeof error !== 'object' || error === null) return { kind: 'unexpected', code: undefined };
  const code = readCode(error);
  if (code === undefined) {
    return Reflect.get(error, 'name') === 'AbortError' ? { kind: 'aborted' } : { kind: 'unexpected', code };
  }
  if (ABORT_CODES.has(code)) return { kind: 'aborted' };
  if (TIMEOUT_CODES.has(code)) return { kind: 'failure', transport: 'timeout', code };
  if (code.startsWith(PROXY_CODE_PREFIX)) {
    const transport = UPSTREAM_UNREACHABLE_VIA_PROXY.has(code) ? 'network_error' : 'proxy_error';
    return { kind: 'failure', transport, code };
  }
  if (UNEXPECTED_CODES.has(code)) return { kind: 'unexpected', code };
  // Refused, reset, DNS, TLS (CERT_*, ERR_TLS_*, …), socket closed, malformed response (HPE_*): the path
  // to the upstream is broken. Unknown codes land here too, so a new Node code still fails over.
  return { kind: 'failure', transport: 'network_error', code };
}

/** Turns anything undici threw into our error types; `subject` names the call without secrets. */
export function toHttpError(error: unknown, subject: string, signal?: AbortWatch): LlmgwError {
  const verdict = classifyTransportError(error, signal);
  switch (verdict.kind) {
    case 'aborted':
      return new ClientAbortError(`${subject}: aborted by the caller`, error);
    case 'failure':
      return new HttpTransportError(`${subject}: ${verdict.transport} (${verdict.code})`, {
        transport: verdict.transport,
        code: verdict.code,
        cause: error,
      });
    case 'unexpected':
      return new LlmgwError(`${subject}: request failed (${verdict.code ?? 'no error code'})`, {
        cause: error,
      });
  }
}

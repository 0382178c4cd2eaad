import { describe, expect, test } from 'vitest';
import { classifyTransportError } from './transport-error.js';

// Errors here are plain objects with the codes undici and Node really produce (see the socket tests for
// where each one comes from); the classifier reads nothing but `code`, `name` and the caller's signal.
const withCode = (code: string): Error => Object.assign(new Error('message text is never read'), { code });

describe('classifyTransportError', () => {
  test.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['PROXY_TUNNEL_TIMEOUT', 'timeout'],
    ['ECONNREFUSED', 'network_error'],
    ['ECONNRESET', 'network_error'],
    ['ENOTFOUND', 'network_error'],
    ['EAI_AGAIN', 'network_error'],
    ['UND_ERR_SOCKET', 'network_error'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'network_error'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'network_error'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'network_error'],
    ['HPE_INVALID_CONSTANT', 'network_error'],
    ['PROXY_STATUS_502', 'network_error'],
    ['PROXY_STATUS_504', 'network_error'],
    ['PROXY_ECONNREFUSED', 'proxy_error'],
    ['PROXY_UND_ERR_CONNECT_TIMEOUT', 'proxy_error'],
    ['PROXY_STATUS_407', 'proxy_error'],
    ['PROXY_STATUS_403', 'proxy_error'],
    ['PROXY_INVALID_URL', 'proxy_error'],
  ])('%s is %s', (code, transport) => {
    expect(classifyTransportError(withCode(code))).toEqual({ kind: 'failure', transport, code });
  });

  test('reads the code of the first address Node tried when it reports an AggregateError', () => {
    const error = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]);
    expect(classifyTransportError(error)).toMatchObject({ transport: 'network_error', code: 'ECONNREFUSED' });
  });

  test('the caller’s aborted signal wins over any code', () => {
    expect(classifyTransportError(withCode('UND_ERR_SOCKET'), AbortSignal.abort())).toEqual({
      kind: 'aborted',
    });
  });

  test('abort codes and AbortError are client aborts', () => {
    expect(classifyTransportError(withCode('UND_ERR_ABORTED'))).toEqual({ kind: 'aborted' });
    expect(classifyTransportError(new DOMException('x', 'AbortError'))).toEqual({ kind: 'aborted' });
  });

  test('our own mistakes are not blamed on the network', () => {
    expect(classifyTransportError(withCode('UND_ERR_INVALID_ARG'))).toEqual({
      kind: 'unexpected',
      code: 'UND_ERR_INVALID_ARG',
    });
    expect(classifyTransportError(new TypeError('no code'))).toEqual({ kind: 'unexpected', code: undefined });
  });
});

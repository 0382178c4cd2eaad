import type { IncomingHttpHeaders } from 'node:http';
import { anthropicDialect } from './anthropic.js';
import { geminiCompatDialect, geminiDialect, geminiOperation } from './gemini.js';
import type { TokenStore } from './gigachat.js';
import { gigaChatDialect } from './gigachat.js';
import { openAiDialect } from './openai.js';
import { openAiResponsesDialect } from './openai-responses.js';
import type { Dialect, Operation } from './wire.js';

export type Route =
  | { kind: 'oauth' }
  | {
      kind: 'api';
      dialect: Dialect;
      operation: Operation;
      /** Credential as sent; for GigaChat, the auth key the token was issued for. */
      key: string;
      /** Model named in the path (Gemini, model lookups), else ''. */
      pathModel: string;
      /** Gemini action, e.g. `streamGenerateContent`. */
      action: string;
      /** Gemini `alt=sse`. */
      sse: boolean;
      /** GigaChat: a token this server issued but that has expired (or one it never issued). */
      tokenRejected?: 'expired' | 'unknown';
    }
  | { kind: 'none' };

const GEMINI_PATH = /^\/v1(?:beta|alpha)?\/models(?:\/([^/:]+)(?::(\w+))?)?$/;
const MODEL_LOOKUP = /\/models\/([^/]+)$/;
const GIGACHAT_TOKEN_PREFIX = 'gigachat-';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bearerOf(headers: IncomingHttpHeaders): string {
  const authorization = header(headers, 'authorization');
  return authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
}

/** OpenAI-style suffixes, shared by every OpenAI-compatible prefix and by GigaChat. */
function openAiOperation(path: string): { operation: Operation; pathModel: string } | undefined {
  if (path.endsWith('/chat/completions')) return { operation: 'chat', pathModel: '' };
  // The Responses API: a chat call in its own wire format (see openai-responses.ts).
  if (path.endsWith('/v1/responses')) return { operation: 'chat', pathModel: '' };
  if (path.endsWith('/embeddings')) return { operation: 'embeddings', pathModel: '' };
  if (path.endsWith('/tokens/count')) return { operation: 'count_tokens', pathModel: '' };
  if (path.endsWith('/models')) return { operation: 'models', pathModel: '' };
  const lookup = MODEL_LOOKUP.exec(path);
  if (lookup?.[1] !== undefined) return { operation: 'model', pathModel: decodeURIComponent(lookup[1]) };
  return undefined;
}

/**
 * Decides which provider a request speaks. GigaChat shares `/api/v1/...` with OpenRouter-style
 * prefixes, so it is recognised by its Bearer token being one this server issued (they all start
 * `gigachat-`); Anthropic shares `/v1/models` with OpenAI and is recognised by its headers.
 */
export function matchRoute(
  method: string,
  path: string,
  query: URLSearchParams | undefined,
  headers: IncomingHttpHeaders,
  tokens: TokenStore,
  now: number,
): Route {
  if (method === 'POST' && path.endsWith('/api/v2/oauth')) return { kind: 'oauth' };

  const bearer = bearerOf(headers);
  if (bearer.startsWith(GIGACHAT_TOKEN_PREFIX)) {
    const found = openAiOperation(path);
    if (found === undefined) return { kind: 'none' };
    const issued = tokens.lookup(bearer);
    return {
      kind: 'api',
      dialect: gigaChatDialect,
      ...found,
      key: issued?.authKey ?? '',
      action: '',
      sse: true,
      ...(issued === undefined
        ? { tokenRejected: 'unknown' as const }
        : issued.expiresAt <= now
          ? { tokenRejected: 'expired' as const }
          : {}),
    };
  }

  const googleKey = header(headers, 'x-goog-api-key') ?? query?.get('key') ?? undefined;
  const gemini = GEMINI_PATH.exec(path);
  if (gemini !== null && (!path.startsWith('/v1/') || googleKey !== undefined || gemini[2] !== undefined)) {
    const [, model = '', action = ''] = gemini;
    const operation = action === '' ? (model === '' ? 'models' : 'model') : geminiOperation(action);
    if (operation === undefined) return { kind: 'none' };
    return {
      kind: 'api',
      dialect: geminiDialect,
      operation,
      key: googleKey ?? '',
      pathModel: decodeURIComponent(model),
      action,
      sse: query?.get('alt') === 'sse',
    };
  }

  const anthropicHeaders =
    header(headers, 'anthropic-version') !== undefined || header(headers, 'x-api-key') !== undefined;
  const isMessages = path.endsWith('/v1/messages') || path.endsWith('/v1/messages/count_tokens');
  if (isMessages || (anthropicHeaders && openAiOperation(path)?.operation.startsWith('model'))) {
    const found = isMessages
      ? {
          operation: path.endsWith('/count_tokens') ? ('count_tokens' as const) : ('chat' as const),
          pathModel: '',
        }
      : openAiOperation(path);
    if (found === undefined) return { kind: 'none' };
    return {
      kind: 'api',
      dialect: anthropicDialect,
      ...found,
      key: header(headers, 'x-api-key') ?? bearer,
      action: '',
      sse: true,
    };
  }

  const found = openAiOperation(path);
  if (found === undefined || found.operation === 'count_tokens') return { kind: 'none' };
  return {
    kind: 'api',
    dialect: path.endsWith('/v1/responses')
      ? openAiResponsesDialect
      : path.includes('/v1beta/openai/')
        ? geminiCompatDialect
        : openAiDialect,
    ...found,
    key: bearer,
    action: '',
    sse: true,
  };
}

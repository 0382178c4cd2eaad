/** Client-side helpers for this package's tests: real sockets, the global fetch, no mocks. */

export interface SseEvent {
  event?: string;
  data: string;
}

/** Splits an SSE body into events, accepting LF and CRLF framing as real clients must. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    if (block.trim() === '') continue;
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event.event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    event.data = data.join('\n');
    events.push(event);
  }
  return events;
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Polls until `check` is true; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function chat(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], ...extra };
}

/** The fields tests read from the bodies; the cast is checked by the assertions that follow it. */
export async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

interface GoogleDetail {
  '@type': string;
  reason?: string;
  retryDelay?: string;
  violations?: Array<{ quotaId: string }>;
}

/** OpenAI, OpenRouter, Google and Anthropic error bodies, plus the flat GigaChat/Mistral ones. */
export interface ErrorBody {
  type?: string;
  message?: string;
  request_id?: string;
  status?: number;
  code?: number;
  error: {
    message: string;
    type: string;
    code: string | number | null;
    param?: string | null;
    status?: string;
    metadata?: { headers: Record<string, string> };
    details?: GoogleDetail[];
  };
}

export interface ChatCompletion {
  id?: string;
  object: string;
  model: string;
  choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    precached_prompt_tokens?: number;
  };
}

export interface EmbeddingList {
  data: Array<{ embedding: number[]; usage?: { prompt_tokens: number } }>;
  usage?: { prompt_tokens: number; total_tokens: number };
}

export interface ModelList {
  data: Array<{ id: string; object?: string; owned_by?: string; type?: string }>;
  has_more?: boolean;
}

import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from './app-env.js';
import { handleNotFound } from './handle-error.js';

describe('handleNotFound', () => {
  it('answers an unknown path with an OpenAI-shaped 404 that lists every route the gateway serves', async () => {
    const app = new Hono<AppEnv>();
    app.notFound(handleNotFound);
    const response = await app.request('http://127.0.0.1/v1/completion', { method: 'POST' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    expect(body.error.message).toMatch(/^No route for POST \/v1\/completion\. This gateway serves /);
    for (const route of [
      'POST /v1/chat/completions',
      'POST /v1/embeddings',
      'GET /v1/models',
      'POST /v1/responses',
      'POST /v1/messages',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      '/admin/*',
      'GET /dashboard',
    ]) {
      expect(body.error.message).toContain(route);
    }
  });
});

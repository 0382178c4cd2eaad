import { checkOfflinePackageTexts } from '@llmgw/config';
import { describe, expect, it } from 'vitest';
import type { RelayResult } from '../contracts.js';
import { createOfflineResponder, type OfflineRequest } from './offline-responder.js';

const PACKAGE = [
  'answers:',
  '  - contains: llmgw',
  '    answer: contains wins only without an exact entry',
  '  - match: What is llmgw?',
  '    answer: exact',
  '  - match: Which model?',
  '    model: gpt-4o',
  '    answer: the big one',
  '  - regex: "^(hi|hello)\\\\b"',
  '    flags: i',
  '    answer: Hi there, friend.',
  'embeddings:',
  '  - input: a',
  '    vector: [1, 0.5]',
  '  - input: b',
  '    vector: [-1, 2]',
  '',
].join('\n');

function responder() {
  const report = checkOfflinePackageTexts([{ file: 'faq.yaml', text: PACKAGE }]);
  expect(report.errors).toEqual([]);
  return createOfflineResponder(report.packages, () => 1_700_000_000_000);
}

const chat = (content: unknown, extra: Partial<OfflineRequest> = {}): OfflineRequest => ({
  operation: 'chat',
  body: {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content },
    ],
  },
  model: 'gpt-4o-mini',
  stream: false,
  requestId: 'req-1',
  ...extra,
});

function content(result: RelayResult | undefined): unknown {
  if (result?.kind !== 'json') return undefined;
  return (result.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
}

describe('offline responder', () => {
  it('prefers an exact message over contains and regex, matching case and spacing loosely', () => {
    const offline = responder();
    expect(content(offline.answer(chat('  WHAT is   llmgw? ')))).toBe('exact');
    expect(content(offline.answer(chat('tell me about llmgw')))).toBe(
      'contains wins only without an exact entry',
    );
    expect(content(offline.answer(chat([{ type: 'text', text: 'Hello gateway' }])))).toBe(
      'Hi there, friend.',
    );
    expect(offline.answer(chat('nothing prepared'))).toBeUndefined();
  });

  it('answers a model-bound entry only for that model, by name or as provider/model', () => {
    const offline = responder();
    expect(offline.answer(chat('Which model?'))).toBeUndefined();
    expect(content(offline.answer(chat('Which model?', { model: 'gpt-4o' })))).toBe('the big one');
    expect(content(offline.answer(chat('Which model?', { model: 'openai/gpt-4o' })))).toBe('the big one');
  });

  it('shapes a completion like OpenAI and keeps the trail of what was tried first', () => {
    const result = responder().answer(
      chat('What is llmgw?', {
        relayHeaders: {
          'x-llm-attempts': '2',
          'x-llm-attempt-trail': 'groq:4:server_error,groq:5:timeout',
          'x-llm-key-id': '5',
        },
      }),
    );
    expect(result).toMatchObject({
      kind: 'json',
      status: 200,
      headers: {
        'x-llm-actual-provider': 'offline',
        'x-llm-actual-model': 'gpt-4o-mini',
        'x-llm-attempts': '2',
        'x-llm-attempt-trail': 'groq:4:server_error,groq:5:timeout',
      },
      body: {
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'exact' } }],
        usage: { completion_tokens: 2 },
      },
    });
    expect(result?.headers['x-llm-key-id']).toBeUndefined();
  });

  it('streams the answer as chunks that add up to it, with usage when asked, ending in [DONE]', async () => {
    const result = responder().answer(
      chat('hello', {
        stream: true,
        body: { messages: [{ role: 'user', content: 'hello' }], stream_options: { include_usage: true } },
      }),
    );
    if (result?.kind !== 'stream') throw new Error('expected a stream');
    const payloads = (await new Response(result.body).text())
      .split('\n\n')
      .filter((frame) => frame !== '')
      .map((frame) => frame.replace(/^data: /, ''));
    expect(payloads.at(-1)).toBe('[DONE]');
    const chunks = payloads.slice(0, -1).map(
      (payload) =>
        JSON.parse(payload) as {
          choices: { delta: { content?: string; role?: string }; finish_reason: string | null }[];
          usage?: unknown;
        },
    );
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(
      chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join(''),
    ).toBe('Hi there, friend.');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 5 } });
  });

  it('answers embeddings only when every input is prepared, as floats or base64', () => {
    const offline = responder();
    const embeddings = (input: unknown, encoding?: string): OfflineRequest => ({
      operation: 'embeddings',
      body: { model: 'e', input, ...(encoding ? { encoding_format: encoding } : {}) },
      model: 'e',
      stream: false,
      requestId: 'req-2',
    });
    const floats = offline.answer(embeddings(['a', 'b']));
    expect(floats).toMatchObject({
      kind: 'json',
      body: {
        object: 'list',
        data: [
          { index: 0, embedding: [1, 0.5] },
          { index: 1, embedding: [-1, 2] },
        ],
      },
    });
    expect(offline.answer(embeddings(['a', 'c']))).toBeUndefined();
    expect(offline.answer(embeddings([[1, 2]]))).toBeUndefined();
    const base64 = offline.answer(embeddings('a', 'base64'));
    const encoded =
      base64?.kind === 'json' ? (base64.body as { data: { embedding: string }[] }).data[0]?.embedding : '';
    const bytes = Buffer.from(encoded ?? '', 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)]).toEqual([1, 0.5]);
  });
});

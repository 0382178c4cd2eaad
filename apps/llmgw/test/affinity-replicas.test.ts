import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  sleep,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * Prompt-cache affinity through two real `llmgw gateway` processes on one Postgres: a conversation's
 * turns alternate between the replicas and still reach one key; a pinned key that says 429 loses the
 * conversation to the key that served instead, on both replicas.
 */

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
const replicas: Gateway[] = [];
const secretOf = new Map<number, string>();

beforeAll(async () => {
  database = await createTestDatabase();
  // A pin read under a loaded CI machine may take longer than the default 200 ms; here the test is
  // whether the other replica finds the pin, not how fast Postgres answers.
  world = await createConductorWorld(ledger, database.url, { gateway: { affinity_lookup_timeout: '5s' } });
  const secrets = Array.from({ length: 4 }, () => newSecret(ledger, 'test-ok-'));
  world.writeKeys(secrets);
  const worker = world.startWorker();
  replicas.push(await world.startGateway(), await world.startGateway());
  for (const [secret, id] of await world.activeKeys(secrets)) secretOf.set(id, secret);
  // The keeper leaves once the keys are known good: only gateway traffic reaches the upstream.
  expect(await stopWithin(worker, 15_000)).toBe(0);
  for (const replica of replicas) await world.servable(replica, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

interface Turn {
  keyId: number;
  affinity: string | null;
  trail: string[];
}

/** One turn of `conversation` on `gateway`; the answer is appended, as a chat client would. */
async function turn(gateway: Gateway, conversation: Message[], text: string): Promise<Turn> {
  conversation.push({ role: 'user', content: text });
  const { data, response } = await gateway.client.chat.completions
    .create({ model: MODEL, messages: conversation })
    .withResponse();
  expect(response.status).toBe(200);
  conversation.push({ role: 'assistant', content: data.choices[0]?.message.content ?? '' });
  return {
    keyId: Number(response.headers.get('x-llm-key-id')),
    affinity: response.headers.get('x-llm-affinity'),
    trail: parseTrail(response.headers.get('x-llm-attempt-trail')).map((entry) => entry.word),
  };
}

/** The conversations pinned so far, so a test can tell its own new pin from an older one. */
async function pinnedHashes(): Promise<string[]> {
  const rows = await (world as ConductorWorld).query<{ hash: string }>('select hash from affinity');
  return rows.map((row) => row.hash);
}

/**
 * Waits until a new conversation (one not in `known`) is pinned to `keyId` in Postgres. A new pin is
 * written right after the answer leaves, off the request path; a client faster than that write
 * reaching the other replica would meet no pin there (a real next turn comes after the client has
 * read the answer). An earlier test's conversation may be pinned to the same key and refreshed a
 * moment ago, so "a recent pin to this key" would not do: the next turn could race the write.
 */
async function pinWritten(keyId: number, known: string[]): Promise<void> {
  const w = world as ConductorWorld;
  await eventually(
    async () => {
      const rows = await w.query<{ n: number }>(
        'select count(*)::int as n from affinity where key_id = $1 and not (hash = any($2::text[]))',
        [keyId, known],
      );
      return (rows[0]?.n ?? 0) > 0 ? true : undefined;
    },
    10_000,
    `a new pin to key ${keyId} in Postgres`,
  );
}

function newConversation(topic: string): Message[] {
  return [{ role: 'system', content: `You are a careful assistant for ${topic}.` }];
}

describe('prompt-cache affinity across two gateway replicas', () => {
  it('serves every turn of a 5-turn conversation from one key while turns alternate replicas', async () => {
    const w = world as ConductorWorld;
    const before = w.upstream.calls().length;
    const conversation = newConversation('five turns');
    const turns: Turn[] = [];
    const known = await pinnedHashes();
    for (let n = 0; n < 5; n += 1) {
      turns.push(await turn(replicas[n % 2] as Gateway, conversation, `question ${n + 1}`));
      if (n === 0) await pinWritten(turns[0]?.keyId ?? -1, known);
    }

    const pinned = turns[0]?.keyId;
    expect(turns.map((t) => t.affinity)).toEqual(['miss', 'hit', 'hit', 'hit', 'hit']);
    expect(turns.map((t) => t.keyId)).toEqual(Array(5).fill(pinned));
    // The upstream agrees: five calls, all with the pinned key's secret.
    const calls = w.upstream.calls().slice(before);
    expect(calls.map((call) => call.key)).toEqual(Array(5).fill(secretOf.get(pinned ?? -1)));
    const share = turns.filter((t) => t.keyId === pinned).length / turns.length;
    console.info(
      `affinity: ${share * 100}% of 5 turns served by the pinned key (4 healthy keys, 2 replicas)`,
    );
    expect(share).toBe(1);

    // Postgres holds the pin both replicas share.
    const rows = await w.query<{ key_id: string }>('select key_id from affinity');
    expect(rows.map((row) => Number(row.key_id))).toContain(pinned);
  }, 60_000);

  it('moves the conversation to the key that served when the pinned key is rate-limited, on both replicas', async () => {
    const w = world as ConductorWorld;
    const conversation = newConversation('a moving pin');
    const known = await pinnedHashes();
    const first = await turn(replicas[0] as Gateway, conversation, 'first');
    await pinWritten(first.keyId, known);
    const second = await turn(replicas[1] as Gateway, conversation, 'second');
    expect([first.affinity, second.affinity]).toEqual(['miss', 'hit']);
    const pinnedSecret = secretOf.get(first.keyId) ?? '';
    expect(second.keyId).toBe(first.keyId);

    w.upstream.setBehavior(pinnedSecret, { kind: 'status', status: 429, retryAfterSec: 60 });
    try {
      const moved = await turn(replicas[0] as Gateway, conversation, 'third');
      expect(moved.affinity).toBe('moved');
      expect(moved.keyId).not.toBe(first.keyId);
      // The pinned key was tried first and said 429; another key served in the same request.
      expect(moved.trail).toEqual(['rate_limited', 'ok']);

      // The other replica learns both facts within its refresh (the key's cooldown, the moved pin).
      await sleep(2_500);
      const next = await turn(replicas[1] as Gateway, conversation, 'fourth');
      const after = await turn(replicas[0] as Gateway, conversation, 'fifth');
      expect([next.affinity, after.affinity]).toEqual(['hit', 'hit']);
      expect([next.keyId, after.keyId]).toEqual([moved.keyId, moved.keyId]);
      expect(next.trail).toEqual(['ok']);
    } finally {
      w.upstream.clearBehavior(pinnedSecret);
    }
  }, 60_000);

  it('pins a conversation the client names with prompt_cache_key, whatever its messages', async () => {
    const w = world as ConductorWorld;
    const before = w.upstream.calls().length;
    const keyIds: number[] = [];
    const words: (string | null)[] = [];
    const known = await pinnedHashes();
    for (let n = 0; n < 4; n += 1) {
      if (n === 1) await pinWritten(keyIds[0] ?? -1, known);
      const { response } = await (replicas[n % 2] as Gateway).client.chat.completions
        .create({
          model: MODEL,
          messages: [{ role: 'user', content: `unrelated question ${n}` }],
          prompt_cache_key: 'tenant-42',
        })
        .withResponse();
      keyIds.push(Number(response.headers.get('x-llm-key-id')));
      words.push(response.headers.get('x-llm-affinity'));
    }
    expect(words).toEqual(['miss', 'hit', 'hit', 'hit']);
    expect(new Set(keyIds).size).toBe(1);
    expect(w.upstream.calls().slice(before)).toHaveLength(4);
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});

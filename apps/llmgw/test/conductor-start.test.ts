import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BOOT_TIMEOUT_MS,
  type ConductorWorld,
  createConductorWorld,
  gatewayOf,
  MODEL,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';

const ledger = createSecretLedger();
let world: ConductorWorld | null = null;

afterAll(async () => {
  await world?.close();
});

describe('llmgw start: the quick path on the embedded database', () => {
  it('serves a chat completion through the SDK with no database server at all', async () => {
    // No DATABASE_URL anywhere: the world's database URL is never used, `start` brings its own.
    const w = await createConductorWorld(ledger, 'postgres://unused.invalid/none', {
      groups: { fast: [`mock/${MODEL}`] },
    });
    world = w;
    const secret = newSecret(ledger, 'test-ok-');
    w.writeKeys([secret]);
    const start = w.spawn(['start'], {});
    const gateway = await gatewayOf(start);
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The keeper inside syncs and probes the key; the README's request (model group `fast`) then works.
    const { data, response } = await (async () => {
      const deadline = Date.now() + BOOT_TIMEOUT_MS;
      for (;;) {
        try {
          return await gateway.client.chat.completions
            .create({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] })
            .withResponse();
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    })();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBe('ok: hello');
    expect(response.headers.get('x-llm-actual-provider')).toBe('mock');
    expect(response.headers.get('x-llm-actual-model')).toBe(MODEL);
    expect(response.headers.get('x-llm-attempt-trail')).toMatch(/^mock:\d+:ok$/);
    expect(w.upstream.callsFor(secret).length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(w.cwd, 'data'))).toBe(true);

    expect(await stopWithin(start, 15_000), start.lines().slice(-20).join('\n')).toBe(0);
  }, 150_000);

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(1);
    expect(findLeaks(ledger)).toEqual([]);
  });
});

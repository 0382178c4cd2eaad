// The bench's machine room: the fake upstream, a bare undici proxy, `llmgw worker` and one or more
// `llmgw gateway` processes on a fresh PostgreSQL database. `pnpm bench` starts one gateway;
// `pnpm bench:compare` starts several variants of it side by side.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { type Dispatcher, request } from 'undici';
import type { Target } from './open-loop.js';
import { type Child, startChild } from './processes.js';

// The production bundle (`pnpm build`), as operators run it: no TypeScript loader in the measured process,
// and Node's flags as `pnpm start` and the Dockerfile give them (checked by launch-flags.test.ts).
const MAIN = fileURLToPath(new URL('../dist/bin/llmgw.mjs', import.meta.url));
export const SHIPPED_NODE_FLAGS = ['--single-threaded-gc'];
const TESTKIT = fileURLToPath(new URL('../../../packages/testkit/src/main.ts', import.meta.url));
const KEYS = Array.from({ length: 8 }, (_, index) => `bench-key-${String(index).padStart(4, '0')}-xxxxxxxx`);
const BODY = JSON.stringify({
  model: 'mock/gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello' }],
});
export const STREAM_BODY = JSON.stringify({
  model: 'mock/gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello' }],
  stream: true,
});

/** One POST of `body` to `target`, read to its end; anything but a 200 is an error. */
export async function sendOne(target: Target, body: string, dispatcher: Dispatcher): Promise<void> {
  const response = await request(target.url, { method: 'POST', headers: target.headers, body, dispatcher });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${target.url}: status ${response.statusCode}`);
}

/** One gateway process: its own environment, Node flags, or another build's bundle. */
export interface GatewaySpec {
  name: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** An `llmgw.mjs` other than this checkout's build (e.g. a copy built at another commit). */
  bundle?: string;
}

export interface Hop {
  name: string;
  target: Target;
  child: Child;
}

export interface Rig {
  /** The upstream called directly: the baseline every hop's added latency is measured against. */
  direct: Target;
  bare: Hop;
  gateways: Hop[];
  stop(): Promise<void>;
}

/** Polls `url` until it answers 200; gives up (with the process's last lines) after a minute. */
async function untilHealthy(url: string, child: Child): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) break;
    const ok = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 })
      .then(async (response) => {
        await response.body.dump();
        return response.statusCode === 200;
      })
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 200 within 60 s:\n${child.output().slice(-20).join('\n')}`);
}

/** Starts everything; on a failure part-way, stops what had started before rethrowing. */
export async function startRig(specs: readonly GatewaySpec[]): Promise<Rig> {
  const children: Child[] = [];
  let database: TestDatabase | undefined;
  let cwd: string | undefined;
  // Every run used to leave its database and directory behind; they go once the processes have.
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
    await database?.drop().catch(() => {});
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  };
  try {
    const upstream = startChild(TESTKIT, ['--port', '0', '--no-proxy']);
    children.push(upstream);
    const upstreamUrl = (await upstream.waitFor(/listening on http/)).match(/http:\/\/[\d.:]+/)?.[0] ?? '';
    const bare = startChild('./bare-proxy.ts', ['0', upstreamUrl]);
    children.push(bare);
    const barePort = (await bare.waitFor(/bare proxy listening on \d+/)).match(/\d+$/)?.[0];

    // The tests' server (LLMGW_TEST_DATABASE_URL), a database of the run's own.
    database = await createTestDatabase();
    cwd = await mkdtemp(join(tmpdir(), 'llmgw-bench-'));
    await mkdir(join(cwd, 'config'));
    await mkdir(join(cwd, 'keys'));
    const firstPort = 18_000 + Math.floor(Math.random() * 1000);
    await writeFile(
      join(cwd, 'config', 'providers.yaml'),
      `gateway:\n  port: ${firstPort}\nlogging:\n  level: warn\nproviders:\n  mock:\n    type: openai_like\n    base_url: ${upstreamUrl}/v1\n    models: [gpt-4o-mini]\n`,
    );
    await writeFile(join(cwd, 'keys', 'mock.txt'), `${KEYS.join('\n')}\n`);
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    const worker = startChild(MAIN, ['worker'], { cwd, env, nodeArgs: SHIPPED_NODE_FLAGS });
    children.push(worker);
    await worker.waitFor(/keeper\.probe_tick.*"probed":[1-9]/, 60_000);

    const json = { 'content-type': 'application/json' };
    const gateways: Hop[] = [];
    for (const [index, spec] of specs.entries()) {
      const port = firstPort + index;
      const child = startChild(spec.bundle ?? MAIN, ['gateway'], {
        cwd,
        env: { ...env, LLMGW_PORT: String(port), ...spec.env },
        nodeArgs: [...SHIPPED_NODE_FLAGS, ...(spec.nodeArgs ?? [])],
      });
      children.push(child);
      // Not its log line: a variant may run with LOG_LEVEL=warn and never print one.
      await untilHealthy(`http://127.0.0.1:${port}/healthz`, child);
      gateways.push({
        name: spec.name,
        target: { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: json, body: BODY },
        child,
      });
    }

    const direct: Target = {
      url: `${upstreamUrl}/v1/chat/completions`,
      headers: { ...json, authorization: `Bearer ${KEYS[0]}` },
      body: BODY,
    };
    return {
      direct,
      bare: {
        name: 'bare proxy',
        target: { ...direct, url: `http://127.0.0.1:${barePort}/v1/chat/completions` },
        child: bare,
      },
      gateways,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

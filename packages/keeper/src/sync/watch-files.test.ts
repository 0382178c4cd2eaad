import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PoolWatcher, watchPoolFiles } from './watch-files.js';

let root: string;
let watcher: PoolWatcher | null = null;
let changes = 0;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'llmgw-watch-'));
  changes = 0;
});
afterEach(async () => {
  await watcher?.close();
  watcher = null;
  await rm(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(): void {
  watcher = watchPoolFiles(
    { keysDir: join(root, 'keys'), proxiesDir: join(root, 'proxies'), log: pino({ level: 'silent' }) },
    () => {
      changes += 1;
    },
    { debounceMs: 100, pollMs: 100 },
  );
}

async function waitForChange(after: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (changes <= after) {
    if (Date.now() > deadline) throw new Error('no change noticed');
    await sleep(20);
  }
}

describe('watchPoolFiles', () => {
  it('collapses a burst of events into one change', async () => {
    await mkdir(join(root, 'keys'));
    start();
    await sleep(150);
    for (let index = 0; index < 5; index += 1) await writeFile(join(root, 'keys', `p${index}.txt`), 'x');
    await waitForChange(0);
    await sleep(300);
    expect(changes).toBe(1);
  });

  it('finds folders created later, and again after one is deleted and recreated', async () => {
    start();
    await sleep(150);
    await mkdir(join(root, 'proxies'));
    await writeFile(join(root, 'proxies', 'eu.txt'), '10.0.0.1:3128\n');
    await waitForChange(0);
    await rm(join(root, 'proxies'), { recursive: true });
    await sleep(300);
    const beforeRecreate = changes;
    await mkdir(join(root, 'proxies'));
    await sleep(300);
    await writeFile(join(root, 'proxies', 'us.txt'), '10.0.0.2:3128\n');
    await waitForChange(beforeRecreate);
  });

  it('stops calling back once closed', async () => {
    await mkdir(join(root, 'keys'));
    start();
    await sleep(150);
    await watcher?.close();
    await writeFile(join(root, 'keys', 'groq.txt'), 'x');
    await sleep(300);
    expect(changes).toBe(0);
  });
});

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanKeysDir, scanProxiesDir } from './scan-files.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'llmgw-scan-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('scanKeysDir', () => {
  it('reads provider files and provider folders, naming buckets after folder files only', async () => {
    await writeFile(join(root, 'groq.txt'), 'gsk_key_number_one_01\n');
    await mkdir(join(root, 'gemini'));
    await writeFile(join(root, 'gemini', 'project-a.txt'), 'AIzaKeyNumberOne00001\nAIzaKeyNumberTwo00002\n');
    await writeFile(join(root, 'gemini', 'project-b.txt'), 'AIzaKeyNumberThree003\n');
    await writeFile(join(root, 'openai.example.txt'), 'sk-example-not-a-real-key\n');
    const scan = await scanKeysDir(root);
    expect(
      scan.files.map(({ provider, file, bucket, keys }) => ({ provider, file, bucket, count: keys.length })),
    ).toEqual([
      { provider: 'gemini', file: 'gemini/project-a.txt', bucket: 'project-a', count: 2 },
      { provider: 'gemini', file: 'gemini/project-b.txt', bucket: 'project-b', count: 1 },
      { provider: 'groq', file: 'groq.txt', bucket: null, count: 1 },
    ]);
  });

  it('reports an unreadable file by provider instead of treating it as empty', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything; a directory named like a key file is unreadable as a file for everyone.
      await mkdir(join(root, 'groq'));
      await mkdir(join(root, 'groq', 'broken.txt'));
    } else {
      await writeFile(join(root, 'groq.txt'), 'gsk_key_number_one_01\n');
      await chmod(join(root, 'groq.txt'), 0o000);
    }
    const scan = await scanKeysDir(root);
    expect(scan.unreadable.get('groq')?.length).toBe(1);
  });

  it('says when the keys directory does not exist', async () => {
    expect((await scanKeysDir(join(root, 'missing'))).found).toBe(false);
  });
});

describe('scanProxiesDir', () => {
  it('reads one pool per file', async () => {
    await writeFile(join(root, 'eu.txt'), '10.0.0.1:3128\nhttp://u:p@10.0.0.2:8080\n');
    const scan = await scanProxiesDir(root);
    expect([...scan.pools.keys()]).toEqual(['eu']);
    expect(scan.pools.get('eu')?.proxies).toHaveLength(2);
  });
});

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHIPPED_NODE_FLAGS } from '../bench/rig.js';

const ROOT = new URL('../../../', import.meta.url);
const BUNDLE = 'apps/llmgw/dist/bin/llmgw.mjs';

/** The Node flags of the Dockerfile's ENTRYPOINT: what stands between `node` and the bundle. */
function dockerfileFlags(): string[] {
  const text = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
  const line = text.split('\n').find((candidate) => candidate.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  expect(argv[0]).toBe('node');
  expect(argv.at(-1)).toBe(BUNDLE);
  return argv.slice(1, -1);
}

/** The Node flags of `pnpm start`: the words between `node` and the bundle. */
function startScriptFlags(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const match = /(?:^|&& )node ((?:--\S+ )*)apps\/llmgw\/dist\/bin\/llmgw\.mjs start$/.exec(
    manifest.scripts.start ?? '',
  );
  if (match === null) throw new Error(`pnpm start does not run the bundle: "${manifest.scripts.start}"`);
  return (match[1] ?? '').trim().split(' ').filter(Boolean);
}

describe('how the shipped commands start Node', () => {
  it('gives the Dockerfile, pnpm start and the bench the same flags, single-threaded GC among them', () => {
    expect(dockerfileFlags()).toEqual(SHIPPED_NODE_FLAGS);
    expect(startScriptFlags()).toEqual(SHIPPED_NODE_FLAGS);
    expect(SHIPPED_NODE_FLAGS).toContain('--single-threaded-gc');
  });

  it('uses flags this Node accepts (a misspelt one stops Node with "bad option")', () => {
    const run = spawnSync(process.execPath, [...SHIPPED_NODE_FLAGS, '-p', 'process.execArgv.join(" ")'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe([...SHIPPED_NODE_FLAGS, '-p', 'process.execArgv.join(" ")'].join(' '));
  });
});

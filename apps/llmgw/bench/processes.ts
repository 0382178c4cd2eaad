import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const TSX = import.meta.resolve('tsx');

export interface Child {
  process: ChildProcess;
  output: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a TypeScript entry point of this repo as its own process (its own core, its own RSS). */
export function startChild(
  entry: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Child {
  const path = entry.startsWith('/') ? entry : fileURLToPath(new URL(entry, import.meta.url));
  const loader = path.endsWith('.mjs') ? [] : ['--import', TSX];
  const child = spawn(process.execPath, [...loader, path, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 5000) output.splice(0, output.length - 5000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    process: child,
    output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.find((candidate) => pattern.test(candidate));
          if (line === undefined) return false;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
          return true;
        };
        const listener = () => {
          check();
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `${entry}: no line matching ${pattern} in ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) listeners.add(listener);
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** Resident set size of a process in MB, from /proc. */
export async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
}

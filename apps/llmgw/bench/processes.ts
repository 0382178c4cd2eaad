import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const TSX = import.meta.resolve('tsx');
const TAIL_CHARS = 256 * 1024;

export interface Child {
  process: ChildProcess;
  /** The last lines the process printed (stdout and stderr), oldest first. */
  output(): string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a TypeScript entry point of this repo as its own process (its own core, its own RSS). */
export function startChild(
  entry: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Child {
  const path = entry.startsWith('/') ? entry : fileURLToPath(new URL(entry, import.meta.url));
  const loader = path.endsWith('.mjs') ? [] : ['--import', TSX];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, path, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only a tail of the output is kept, as raw text, and split into lines only while someone waits for
  // a line: the gateway logs a line per request, and parsing each one here would take CPU from the
  // load generator that shares this process and these cores.
  let tail = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    tail += chunk.toString('utf8');
    // Trimmed only once it doubled: one copy per TAIL_CHARS of output, not one per chunk.
    if (tail.length > 2 * TAIL_CHARS) tail = tail.slice(-TAIL_CHARS);
    for (const listener of listeners) listener();
  };
  const output = () => tail.split('\n').filter(Boolean);
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    process: child,
    output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output().find((candidate) => pattern.test(candidate));
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
              `${entry}: no line matching ${pattern} in ${timeoutMs} ms:\n${output().slice(-20).join('\n')}`,
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

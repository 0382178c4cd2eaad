import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { KeeperDeps } from '../deps.js';

export interface WatchOptions {
  /** Quiet time after the last event before `onChange` fires: an editor's save is several events. */
  debounceMs?: number;
  /** How often a folder that does not exist (yet) is looked for. */
  pollMs?: number;
}

export interface PoolWatcher {
  close(): Promise<void>;
}

/**
 * Calls `onChange` (debounced) when anything under the keys or proxies folder is created, edited or
 * deleted. A folder that does not exist is polled for, and one that disappears is polled for again;
 * watcher errors are logged, never thrown, because the periodic full sync still covers what they miss.
 */
export function watchPoolFiles(
  deps: Pick<KeeperDeps, 'keysDir' | 'proxiesDir' | 'log'>,
  onChange: () => void,
  options: WatchOptions = {},
): PoolWatcher {
  const debounceMs = options.debounceMs ?? 300;
  const pollMs = options.pollMs ?? 2000;
  let closed = false;
  let debounce: NodeJS.Timeout | null = null;
  const fire = () => {
    if (closed) return;
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      if (!closed) onChange();
    }, debounceMs);
  };
  const folders = [...new Set([deps.keysDir, deps.proxiesDir])].map((dir) =>
    watchFolder(dir, { fire, pollMs, isClosed: () => closed, log: deps.log }),
  );
  return {
    async close() {
      closed = true;
      if (debounce !== null) clearTimeout(debounce);
      for (const folder of folders) folder.close();
    },
  };
}

interface FolderContext {
  fire(): void;
  pollMs: number;
  isClosed(): boolean;
  log: KeeperDeps['log'];
}

function watchFolder(dir: string, context: FolderContext): { close(): void } {
  let watcher: FSWatcher | null = null;
  let poll: NodeJS.Timeout | null = null;

  const schedulePoll = () => {
    if (context.isClosed() || poll !== null) return;
    poll = setTimeout(() => {
      poll = null;
      void start(true);
    }, context.pollMs);
  };

  const stop = () => {
    const current = watcher;
    watcher = null;
    current?.close();
  };

  const start = async (appeared: boolean) => {
    if (context.isClosed() || watcher !== null) return;
    if (!(await isDirectory(dir))) return schedulePoll();
    if (context.isClosed()) return;
    try {
      const current = watch(dir, { recursive: true }, () => {
        context.fire();
        // Deleting the folder itself ends its watch; look for it again instead of going quiet.
        void isDirectory(dir).then((exists) => {
          if (!exists && watcher === current) {
            stop();
            schedulePoll();
          }
        });
      });
      current.on('error', (error) => {
        context.log.warn(
          { event: 'keeper.watch.error', dir, code: errorCode(error) },
          `watching ${dir} failed`,
        );
        if (watcher === current) stop();
        schedulePoll();
      });
      watcher = current;
    } catch (error) {
      context.log.warn({ event: 'keeper.watch.error', dir, code: errorCode(error) }, `cannot watch ${dir}`);
      return schedulePoll();
    }
    // Files dropped into a folder created after start are already there when its watch begins.
    if (appeared) context.fire();
  };

  void start(false);
  return {
    close() {
      if (poll !== null) clearTimeout(poll);
      poll = null;
      stop();
    },
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'EUNKNOWN';
}

import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { type KeyLine, type MalformedLine, parseKeyFile } from './key-file.js';
import { type ParsedProxyFile, parseProxyFile } from './proxy-file.js';

/**
 * A key file as found on disk; `bucket` is the file's default quota bucket: the file's name inside a
 * provider folder (`keys/gemini/project-a.txt` → `project-a`), none for a flat `keys/<provider>.txt`.
 */
export interface ScannedKeyFile {
  provider: string;
  /** Path relative to the keys directory, e.g. `gemini/project-a.txt`. */
  file: string;
  bucket: string | null;
  keys: KeyLine[];
  malformed: MalformedLine[];
}

export interface UnreadableFile {
  file: string;
  /** The Node error code (EACCES, EISDIR…): never the content. */
  code: string;
}

export interface KeysScan {
  files: ScannedKeyFile[];
  /**
   * Providers with a file that could not be read: their keys must not be marked removed, because an
   * unreadable file is not an empty one.
   */
  unreadable: Map<string, UnreadableFile[]>;
  /** Whether the keys directory itself exists. */
  found: boolean;
}

/** Reads `keys/<provider>.txt` and `keys/<provider>/*.txt` (SPEC §3). */
export async function scanKeysDir(keysDir: string): Promise<KeysScan> {
  const scan: KeysScan = { files: [], unreadable: new Map(), found: true };
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(keysDir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ...scan, found: false };
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && isKeyFile(entry.name)) {
      const provider = entry.name.slice(0, -'.txt'.length);
      // A flat file is "my keys of this provider", not a claim that they share one quota: making it one
      // bucket would let a single shared-quota 429 stop the whole provider. Buckets are asked for by
      // folder files or `# bucket=`.
      await readKeyFile(scan, keysDir, join(keysDir, entry.name), provider, null);
    } else if (entry.isDirectory()) {
      const provider = entry.name;
      const dir = join(keysDir, provider);
      let inner: string[];
      try {
        inner = (await readdir(dir)).filter(isKeyFile).sort();
      } catch (error) {
        markUnreadable(scan, provider, { file: provider, code: errorCode(error) });
        continue;
      }
      for (const name of inner) {
        await readKeyFile(scan, keysDir, join(dir, name), provider, basename(name, '.txt'));
      }
    }
  }
  return scan;
}

async function readKeyFile(
  scan: KeysScan,
  keysDir: string,
  path: string,
  provider: string,
  bucket: string | null,
) {
  const file = relative(keysDir, path);
  try {
    const parsed = parseKeyFile(await readFile(path, 'utf8'));
    scan.files.push({ provider, file, bucket, ...parsed });
  } catch (error) {
    markUnreadable(scan, provider, { file, code: errorCode(error) });
  }
}

function markUnreadable(scan: KeysScan, provider: string, file: UnreadableFile) {
  scan.unreadable.set(provider, [...(scan.unreadable.get(provider) ?? []), file]);
}

export interface ProxiesScan {
  pools: Map<string, ParsedProxyFile & { file: string }>;
  unreadable: UnreadableFile[];
  found: boolean;
}

/** Reads `proxies/<pool>.txt`. */
export async function scanProxiesDir(proxiesDir: string): Promise<ProxiesScan> {
  const scan: ProxiesScan = { pools: new Map(), unreadable: [], found: true };
  let names: string[];
  try {
    names = (await readdir(proxiesDir)).filter(isKeyFile).sort();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ...scan, found: false };
    throw error;
  }
  for (const name of names) {
    try {
      scan.pools.set(basename(name, '.txt'), {
        file: name,
        ...parseProxyFile(await readFile(join(proxiesDir, name), 'utf8')),
      });
    } catch (error) {
      scan.unreadable.push({ file: name, code: errorCode(error) });
    }
  }
  return scan;
}

// Examples (`*.example.txt`) are committed documentation, never live keys.
function isKeyFile(name: string): boolean {
  return name.endsWith('.txt') && !name.endsWith('.example.txt') && !name.startsWith('.');
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'EUNKNOWN';
}

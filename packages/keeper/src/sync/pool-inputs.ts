import { basename, join } from 'node:path';
import { type LlmgwConfig, providerModels, providerSettings } from '@llmgw/config';
import { fingerprintKey, maskKey } from '@llmgw/core';
import type { KeysScan, ProxiesScan } from './scan-files.js';
import type { FileKey } from './sync-provider-keys.js';
import type { SyncReport } from './sync-report.js';

/** A file as the operator names it: `keys/groq.txt`, whatever the folder's absolute path. */
export function shownPath(dir: string, file: string): string {
  return join(basename(dir), file);
}

/** Moves the scans' file problems into the report, with operator-facing paths. */
export function reportFileProblems(
  report: SyncReport,
  dirs: { keysDir: string; proxiesDir: string },
  keysScan: KeysScan,
  proxiesScan: ProxiesScan,
): void {
  for (const file of keysScan.files) {
    for (const { line, problem } of file.malformed) {
      report.malformed.push({ file: shownPath(dirs.keysDir, file.file), line, problem });
    }
  }
  for (const [, parsed] of proxiesScan.pools) {
    for (const { line, problem } of parsed.malformed) {
      report.malformed.push({ file: shownPath(dirs.proxiesDir, parsed.file), line, problem });
    }
  }
  for (const files of keysScan.unreadable.values()) {
    for (const { file, code } of files) report.unreadable.push({ file: shownPath(dirs.keysDir, file), code });
  }
  for (const { file, code } of proxiesScan.unreadable) {
    report.unreadable.push({ file: shownPath(dirs.proxiesDir, file), code });
  }
}

/**
 * The keys each configured provider should have, deduplicated across its files (first file wins).
 * Files of providers missing from the config are reported once per provider — names and counts only.
 */
export function keysByProvider(
  config: LlmgwConfig,
  providers: readonly string[],
  keysScan: KeysScan,
  keysDir: string,
  report: SyncReport,
): Map<string, FileKey[]> {
  const result = new Map<string, FileKey[]>(providers.map((provider) => [provider, []]));
  const seen = new Map<string, Set<string>>();
  const unknown = new Map<string, { files: string[]; keys: number }>();
  for (const file of keysScan.files) {
    const keys = result.get(file.provider);
    if (keys === undefined) {
      const entry = unknown.get(file.provider) ?? { files: [], keys: 0 };
      entry.files.push(shownPath(keysDir, file.file));
      entry.keys += file.keys.length;
      unknown.set(file.provider, entry);
      continue;
    }
    const perKey = providerSettings(config, file.provider).quota_buckets === 'per_key';
    const fingerprints = seen.get(file.provider) ?? new Set<string>();
    seen.set(file.provider, fingerprints);
    for (const key of file.keys) {
      const fingerprint = fingerprintKey(key.secret);
      if (fingerprints.has(fingerprint)) continue;
      fingerprints.add(fingerprint);
      keys.push({
        fingerprint,
        secret: key.secret,
        mask: maskKey(key.secret),
        sourceFile: file.file,
        sourceLine: key.line,
        // An explicit `# bucket=` is the operator's word and holds in either mode.
        bucket: key.bucket ?? (perKey ? null : file.bucket),
      });
    }
  }
  for (const [provider, keys] of result) {
    if (keys.length === 0 && providerSettings(config, provider).auth === 'none') keys.push(keylessKey());
  }
  for (const [provider, entry] of unknown) report.unknownProviders.push({ provider, ...entry });
  return result;
}

/**
 * A keyless provider (local Ollama, `auth: none`) has no key file but still needs one key row to hang
 * its triples on; the upstream sends keyless calls with the empty secret.
 */
function keylessKey(): FileKey {
  return {
    fingerprint: fingerprintKey(''),
    secret: '',
    mask: '(keyless)',
    sourceFile: '(keyless)',
    sourceLine: 0,
    bucket: null,
  };
}

export interface ServedModels {
  models: string[];
  /** Whether triples of models outside `models` are removed (not when the API adds models of its own). */
  prune: boolean;
}

/**
 * The models a provider's triples cover. TODO(probe): with `models_from_api: true` the probe side lists
 * the provider's models and adds their triples; until it hands that list here, sync serves the
 * configured models and leaves triples of other models alone instead of removing what the probe found.
 */
export function servedModels(config: LlmgwConfig, provider: string): ServedModels {
  return {
    models: providerModels(config, provider),
    prune: !providerSettings(config, provider).models_from_api,
  };
}

/** The pool a provider pins its keys to (`proxy: pool:<name>`), or null for direct and fixed proxies. */
export function pinPoolName(config: LlmgwConfig, provider: string): string | null {
  const { proxy } = providerSettings(config, provider);
  return proxy.startsWith('pool:') ? proxy.slice('pool:'.length) : null;
}

import { stringify } from 'yaml';
import { maskSecrets } from './mask.js';
import type { LlmgwConfig } from './schema.js';

/** What `config show` prints: the effective config with secrets masked, as YAML or JSON. */
export function renderConfig(config: LlmgwConfig, options: { json?: boolean } = {}): string {
  const masked = maskSecrets(config);
  return options.json ? `${JSON.stringify(masked, null, 2)}\n` : stringify(masked, { lineWidth: 0 });
}

import { type LlmgwConfig, loadOfflinePackages } from '@llmgw/config';
import { formatConfigIssue } from '@llmgw/core';
import type { Logger } from 'pino';
import { createOfflineResponder, type OfflineResponder } from './offline-responder.js';

/**
 * Offline packages for the gateway at start: none in online mode (never used there) and none when the
 * directory holds no entries, so the request path pays nothing for the feature it does not use.
 * Throws a ConfigError naming file, YAML path and line of every problem.
 */
export function loadOfflineResponder(deps: {
  config: LlmgwConfig;
  /** `config/offline/`, beside the config file. */
  dir: string | undefined;
  log: Logger;
  now?: () => number;
}): OfflineResponder | undefined {
  const { config, dir, log } = deps;
  if (dir === undefined || config.gateway.mode === 'online') return undefined;
  const report = loadOfflinePackages(dir);
  for (const warning of report.warnings)
    log.warn({ event: 'offline.package_warning' }, formatConfigIssue(warning));
  const responder = createOfflineResponder(report.packages, deps.now);
  if (responder.size === 0) return undefined;
  log.info(
    {
      event: 'offline.packages_loaded',
      dir,
      files: report.packages.files,
      answers: report.packages.answers.length,
      embeddings: report.packages.embeddings.length,
    },
    'offline packages loaded',
  );
  return responder;
}

import type { Command } from 'commander';

/** The options every command accepts (SPEC §2), read once from the root program. */
export interface GlobalOptions {
  config: string;
  keysDir: string;
  proxiesDir: string;
  logLevel: string | undefined;
}

export function readGlobalOptions(program: Command): GlobalOptions {
  const options = program.opts<{ config: string; keysDir: string; proxiesDir: string; logLevel?: string }>();
  return {
    config: options.config,
    keysDir: options.keysDir,
    proxiesDir: options.proxiesDir,
    logLevel: options.logLevel,
  };
}

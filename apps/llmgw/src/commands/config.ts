import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';

export function registerConfigCommands(program: Command, _globals: () => GlobalOptions): void {
  program.command('config').description('create, validate and show config/providers.yaml');
}

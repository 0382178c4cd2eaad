import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';

export function registerDbCommands(program: Command, _globals: () => GlobalOptions): void {
  program.command('db').description('database maintenance');
}

import { formatConfigIssue, isLlmgwError } from '@llmgw/core';
import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerDbCommands } from './commands/db.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerStartCommand } from './commands/start.js';
import { registerWorkerCommand } from './commands/worker.js';
import { type GlobalOptions, readGlobalOptions } from './global-options.js';

export function createProgram(): Command {
  const program = new Command('llmgw')
    .description(
      'One OpenAI-compatible endpoint over a pool of LLM API keys.\n' +
        'Operators edit config/providers.yaml, drop keys into keys/ and proxies into proxies/.',
    )
    .option(
      '--config <file>',
      'provider configuration (a patch over built-in defaults)',
      'config/providers.yaml',
    )
    .option('--keys-dir <dir>', 'directory of key files', 'keys')
    .option('--proxies-dir <dir>', 'directory of proxy lists', 'proxies')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const globals = (): GlobalOptions => readGlobalOptions(program);
  registerConfigCommands(program, globals);
  registerDbCommands(program, globals);
  registerKeysCommands(program, globals);
  registerStartCommand(program, globals);
  registerWorkerCommand(program, globals);
  registerGatewayCommand(program, globals);
  return program;
}

/** Runs the CLI and returns the exit code; operator mistakes print a clear message, never a stack. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode;
    }
    if (isLlmgwError(error)) {
      const issues = 'issues' in error && Array.isArray(error.issues) ? error.issues : [];
      process.stderr.write(`llmgw: ${issues.length > 0 ? error.message.split('\n')[0] : error.message}\n`);
      for (const issue of issues) process.stderr.write(`  - ${formatConfigIssue(issue)}\n`);
      return 1;
    }
    process.stderr.write(
      `llmgw: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 2;
  }
}

import { formatConfigIssue, isLlmgwError } from '@llmgw/core';
import { Command, CommanderError } from 'commander';
import { type GlobalOptions, readGlobalOptions } from './global-options.js';

type Register = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Each command's module is loaded only when that command runs: the keeper and the gateway pull in
 * drizzle, undici and hono, which would make `llmgw config validate` start several times slower.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  config: async () => (await import('./commands/config.js')).registerConfigCommands,
  db: async () => (await import('./commands/db.js')).registerDbCommands,
  keys: async () => (await import('./commands/keys.js')).registerKeysCommands,
  start: async () => (await import('./commands/start.js')).registerStartCommand,
  worker: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  gateway: async () => (await import('./commands/gateway.js')).registerGatewayCommand,
  smoke: async () => (await import('./commands/smoke.js')).registerSmokeCommand,
  stats: async () => (await import('./commands/stats.js')).registerStatsCommand,
};

const OPTIONS_WITH_VALUES = new Set(['--config', '--keys-dir', '--proxies-dir', '--log-level']);

/** The command the arguments name (`llmgw --config x.yaml keys status` → `keys`), if any. */
function commandOf(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (OPTIONS_WITH_VALUES.has(arg)) index += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

export async function createProgram(argv: readonly string[] = []): Promise<Command> {
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
  const named = commandOf(argv.slice(2));
  const chosen = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const register of await Promise.all(chosen.map((name) => COMMANDS[name]?.()))) {
    register?.(program, globals);
  }
  return program;
}

/** Runs the CLI and returns the exit code; operator mistakes print a clear message, never a stack. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await createProgram(argv);
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

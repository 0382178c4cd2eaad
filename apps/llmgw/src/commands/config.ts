import {
  checkConfig,
  checkOfflinePackages,
  createProvider,
  type LlmgwConfig,
  loadConfig,
  modelGroupNames,
  type OfflinePackages,
  offlinePackagesDir,
  providerNames,
  readEnvironment,
  renderConfig,
  TEMPLATE_NAMES,
  templateFor,
} from '@llmgw/config';
import { type ConfigIssue, formatConfigIssue, PROVIDER_TYPES } from '@llmgw/core';
import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';

export function registerConfigCommands(program: Command, globals: () => GlobalOptions): void {
  const config = program
    .command('config')
    .description('create, validate and show config/providers.yaml (a patch over built-in defaults)')
    .addHelpText(
      'after',
      `
The file holds only what differs from built-in defaults and provider templates.
Keys never go in it: put them in keys/<provider>.txt, one per line.

Examples:
  $ llmgw config create groq:groq          add the Groq template as provider "groq"
  $ llmgw config validate                  check the file, list every problem
  $ llmgw config show                      print the merged result, secrets masked
  $ llmgw --config other.yaml config show  work on another file`,
    );

  config
    .command('create')
    .description('add a provider to the config file (created, with a header comment, if missing)')
    .argument(
      '<type:name>',
      "a template or provider type, a colon, and the new provider's name (name defaults to the type)",
    )
    .option(
      '--full',
      'write every provider setting with its default value and a comment explaining it',
      false,
    )
    .addHelpText('after', createHelp)
    .action((spec: string, options: { full: boolean }) => {
      const file = globals().config;
      const result = createProvider({ file, spec, full: options.full });
      const out = process.stdout;
      out.write(
        `${result.createdFile ? 'created' : 'updated'} ${result.file}: added provider "${result.name}"\n`,
      );
      for (const variable of result.placeholders) {
        out.write(
          `next: set ${variable} (in the environment or .env beside the config), or write the URL in place\n`,
        );
      }
      out.write(
        `next: put its keys in keys/${result.name}.txt (one per line), then run \`llmgw config validate\`\n`,
      );
    });

  config
    .command('validate')
    .description(
      'load and validate the config file and its offline packages; print every problem at once (exit 1 if any)',
    )
    .addHelpText(
      'after',
      `
Checks types and defaults, unknown keys (typos), \${VAR} references, model groups pointing at existing
providers and models, proxy pools existing as <proxies-dir>/<pool>.txt, and gateway safety (auth tokens
when binding beyond 127.0.0.1), and the offline packages beside it (config/offline/*.yaml: entries,
regexes, vector sizes). Each problem is printed as  file:line path: message.
A missing file is only a warning: llmgw then runs on defaults with no providers.

Examples:
  $ llmgw config validate
  $ llmgw --config staging.yaml --proxies-dir /etc/llmgw/proxies config validate`,
    )
    .action(() => {
      const { config: file, proxiesDir } = globals();
      const report = checkConfig({ file, proxiesDir, env: readEnvironment() });
      // Packages are checked whatever gateway.mode says: a broken one would stop the gateway the day
      // the mode turns to auto or offline, and the config may not even load to tell the mode.
      const offline = checkOfflinePackages(offlinePackagesDir(file));
      for (const warning of [...report.warnings, ...offline.warnings])
        process.stderr.write(`warning: ${formatConfigIssue(warning)}\n`);
      const configProblems = report.config ? [] : report.errors;
      printProblems(file, 'configuration', configProblems);
      printProblems(offline.dir, 'offline package', offline.errors);
      if (!report.config || offline.errors.length > 0) {
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`OK ${file}: ${summary(report.config, report.warnings)}\n`);
      if (offline.packages.files.length > 0)
        process.stdout.write(`OK ${offline.dir}: ${offlineSummary(offline.packages)}\n`);
    });

  config
    .command('show')
    .description(
      'print the effective configuration (defaults ← template ← file ← environment), secrets masked',
    )
    .option('--json', 'print JSON instead of YAML', false)
    .addHelpText(
      'after',
      `
Durations are shown in milliseconds and sizes in bytes, as the program uses them. Auth and admin
tokens, API-key-like settings and headers, and credentials inside URLs (proxies, DATABASE_URL) are masked.

Examples:
  $ llmgw config show
  $ llmgw config show --json | jq '.providers.groq.limits'`,
    )
    .action((options: { json: boolean }) => {
      const { config: file, proxiesDir } = globals();
      const loaded = loadConfig({ file, proxiesDir, env: readEnvironment() });
      process.stdout.write(renderConfig(loaded, { json: options.json }));
    });
}

/** `<where>: N <what> problems:` and each problem indented, on stderr; nothing when there are none. */
function printProblems(where: string, what: string, problems: readonly ConfigIssue[]): void {
  if (problems.length === 0) return;
  const count = problems.length;
  process.stderr.write(`${where}: ${count} ${what} ${count === 1 ? 'problem' : 'problems'}:\n`);
  for (const problem of problems) process.stderr.write(`  ${formatConfigIssue(problem)}\n`);
}

function offlineSummary(packages: OfflinePackages): string {
  const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return [
    plural(packages.files.length, 'package', 'packages'),
    plural(packages.answers.length, 'answer', 'answers'),
    plural(packages.embeddings.length, 'embedding', 'embeddings'),
  ].join(', ');
}

function summary(config: LlmgwConfig, warnings: readonly ConfigIssue[]): string {
  const all = providerNames(config, { includeDisabled: true });
  const enabled = providerNames(config);
  const models = enabled.reduce(
    (count, name) => count + Object.keys(config.providers[name]?.models ?? {}).length,
    0,
  );
  const groups = modelGroupNames(config).length;
  const parts = [
    `${all.length} ${all.length === 1 ? 'provider' : 'providers'}${all.length === enabled.length ? '' : ` (${enabled.length} enabled)`}`,
    `${models} ${models === 1 ? 'model' : 'models'}`,
    `${groups} model ${groups === 1 ? 'group' : 'groups'}`,
  ];
  if (warnings.length > 0) parts.push(`${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'}`);
  return parts.join(', ');
}

const createHelp = `
<type> is a template (name, base URL, auth, models and free-tier limits preset):
${TEMPLATE_NAMES.map((name) => `  ${name.padEnd(11)} ${templateFor(name)?.description ?? ''}`).join('\n')}
or a bare provider type (${PROVIDER_TYPES.join(', ')}); openai_like without a template gets a
\${<NAME>_BASE_URL} placeholder for its base URL.

Minimal (default) writes only what differs from the template, e.g. \`template: groq\`.
--full writes every setting with its default and an explanation, to tune by hand.
Existing comments and order in the file are kept. A provider name that exists is refused.

Examples:
  $ llmgw config create groq                  provider "groq" from the groq template
  $ llmgw config create gemini:gemini-work    a second Gemini provider (its own keys file)
  $ llmgw config create --full deepseek:ds    every setting spelled out
  $ llmgw config create openai_like:vllm      a self-hosted OpenAI-compatible server`;

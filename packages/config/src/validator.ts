import { join } from 'node:path';
import type { PathSegment, RawIssue } from './env.js';
import { TYPE_SPECIFIC_SETTINGS } from './provider-schema.js';
import type { GatewaySettings, KeeperSettings, ProviderConfig } from './schema.js';

/**
 * What the business rules look at: every section that passed the schema. Sections that failed are
 * absent, so a typo in one provider does not hide a broken model group elsewhere.
 */
export interface ConfigDraft {
  readonly gateway?: GatewaySettings;
  readonly keeper?: KeeperSettings;
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  /** Names of every provider in the file, valid or not: a group naming a broken provider is not "unknown". */
  readonly providerNames: readonly string[];
  readonly models?: Readonly<Record<string, readonly string[]>>;
}

export interface RuleContext {
  /** When given, `proxy: pool:<name>` must exist as `<proxiesDir>/<name>.txt`. */
  readonly proxiesDir?: string | undefined;
  readonly fileExists: (path: string) => boolean;
}

export interface RuleFindings {
  readonly errors: RawIssue[];
  readonly warnings: RawIssue[];
}

const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Rules the schema cannot express: references between sections, files on disk, safety. */
export function validateRules(draft: ConfigDraft, context: RuleContext): RuleFindings {
  const findings: RuleFindings = { errors: [], warnings: [] };
  checkProviderNames(draft.providerNames, findings);
  for (const [name, provider] of Object.entries(draft.providers))
    checkProvider(name, provider, context, findings);
  if (draft.models) checkModelGroups(draft, draft.models, findings);
  if (draft.gateway) checkGateway(draft.gateway, draft.providers, findings);
  if (draft.keeper) checkKeeper(draft.keeper, findings);
  return findings;
}

function checkProviderNames(names: readonly string[], findings: RuleFindings): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    if (!PROVIDER_NAME.test(name)) {
      findings.errors.push({
        path: ['providers', name],
        message:
          'invalid provider name: use letters, digits, "-", "_" or "." (it names key files and prefixes models as <provider>/<model>)',
      });
    }
    const folded = name.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      findings.errors.push({
        path: ['providers', name],
        message: `provider names must differ by more than case: "${earlier}" already exists (keys/ files would collide)`,
      });
    }
    seen.set(folded, name);
  }
}

function checkProvider(
  name: string,
  provider: ProviderConfig,
  context: RuleContext,
  findings: RuleFindings,
): void {
  const at = (...path: PathSegment[]): PathSegment[] => ['providers', name, ...path];
  for (const [setting, onlyType] of Object.entries(TYPE_SPECIFIC_SETTINGS)) {
    const present = (provider as Readonly<Record<string, unknown>>)[setting] !== undefined;
    if (present && provider.type !== onlyType) {
      findings.errors.push({
        path: at(setting),
        message: `only ${onlyType} providers use ${setting}; this one is ${provider.type}`,
      });
    }
  }
  if (provider.type === 'gigachat' && provider.auth !== 'oauth') {
    findings.errors.push({ path: at('auth'), message: 'gigachat providers authenticate with auth: oauth' });
  }
  if (provider.type !== 'gigachat' && provider.auth === 'oauth') {
    findings.errors.push({
      path: at('auth'),
      message: 'auth: oauth is the GigaChat token flow; only gigachat providers use it',
    });
  }
  if (provider.type === 'gigachat' && !provider.oauth) {
    findings.errors.push({ path: at('oauth'), message: 'gigachat providers need oauth: {url, scope}' });
  }
  if (provider.type === 'anthropic' && !provider.api_version) {
    findings.errors.push({
      path: at('api_version'),
      message: 'anthropic providers need api_version (e.g. "2023-06-01")',
    });
  }
  checkProxy(provider.proxy, at('proxy'), context, findings);
  if (provider.ca_file && !context.fileExists(provider.ca_file)) {
    findings.errors.push({
      path: at('ca_file'),
      message: `CA file ${JSON.stringify(provider.ca_file)} not found`,
    });
  }
  checkModels(provider, at, findings);
  const { breaker, cooldown } = provider.health;
  if (breaker.open_base > breaker.open_max) {
    findings.errors.push({
      path: at('health', 'breaker', 'open_base'),
      message: 'open_base must not exceed open_max',
    });
  }
  if (cooldown.rate_limited_min > cooldown.rate_limited_max) {
    findings.errors.push({
      path: at('health', 'cooldown', 'rate_limited_min'),
      message: 'rate_limited_min must not exceed rate_limited_max',
    });
  }
}

function checkProxy(proxy: string, path: PathSegment[], context: RuleContext, findings: RuleFindings): void {
  if (!proxy.startsWith('pool:') || context.proxiesDir === undefined) return;
  const pool = proxy.slice('pool:'.length);
  const file = join(context.proxiesDir, `${pool}.txt`);
  if (!context.fileExists(file)) {
    findings.errors.push({
      path,
      message: `proxy pool "${pool}" not found: create ${file} with one proxy URL per line`,
    });
  }
}

function checkModels(
  provider: ProviderConfig,
  at: (...path: PathSegment[]) => PathSegment[],
  findings: RuleFindings,
): void {
  const names = Object.keys(provider.models);
  if (names.length === 0 && !provider.models_from_api && provider.enabled) {
    findings.warnings.push({
      path: at('models'),
      message: 'serves no models: list some under models, or set models_from_api: true',
    });
  }
  const owner = new Map<string, string>(names.map((model) => [model, model]));
  for (const [model, settings] of Object.entries(provider.models)) {
    settings.aliases.forEach((alias, index) => {
      const taken = owner.get(alias);
      if (taken !== undefined) {
        findings.errors.push({
          path: at('models', model, 'aliases', index),
          message: `alias "${alias}" is already ${taken === alias ? 'a model name' : `an alias of ${taken}`}`,
        });
      } else {
        owner.set(alias, model);
      }
    });
  }
  const probeModel = provider.health.probe_model;
  if (
    probeModel !== null &&
    !provider.models_from_api &&
    !owner.has(probeModel) &&
    !provider.embedding_models.includes(probeModel)
  ) {
    findings.errors.push({
      path: at('health', 'probe_model'),
      message: `probe_model "${probeModel}" is not among this provider's models`,
    });
  }
}

function checkModelGroups(
  draft: ConfigDraft,
  groups: Readonly<Record<string, readonly string[]>>,
  findings: RuleFindings,
): void {
  for (const [group, entries] of Object.entries(groups)) {
    if (group.includes('/')) {
      findings.errors.push({
        path: ['models', group],
        message: 'a group name cannot contain "/": that form pins <provider>/<model>',
      });
    }
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      const path: PathSegment[] = ['models', group, index];
      if (seen.has(entry)) findings.warnings.push({ path, message: `"${entry}" is listed twice` });
      seen.add(entry);
      checkGroupEntry(draft, entry, path, findings);
    });
  }
}

function checkGroupEntry(
  draft: ConfigDraft,
  entry: string,
  path: PathSegment[],
  findings: RuleFindings,
): void {
  const slash = entry.indexOf('/');
  const providerName = entry.slice(0, slash);
  const model = entry.slice(slash + 1);
  if (!draft.providerNames.includes(providerName)) {
    const known = draft.providerNames.length > 0 ? draft.providerNames.join(', ') : 'none configured';
    findings.errors.push({ path, message: `unknown provider "${providerName}" (known: ${known})` });
    return;
  }
  const provider = draft.providers[providerName];
  if (!provider) return;
  const served =
    provider.models_from_api ||
    model in provider.models ||
    provider.embedding_models.includes(model) ||
    Object.values(provider.models).some((settings) => settings.aliases.includes(model));
  if (!served) {
    const known = Object.keys(provider.models).join(', ') || 'none';
    findings.errors.push({
      path,
      message: `provider "${providerName}" has no model "${model}" (its models: ${known})`,
    });
  } else if (!provider.enabled) {
    findings.warnings.push({
      path,
      message: `provider "${providerName}" is disabled; this entry is skipped`,
    });
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

function checkGateway(
  gateway: GatewaySettings,
  providers: Readonly<Record<string, ProviderConfig>>,
  findings: RuleFindings,
): void {
  if (!LOOPBACK.test(gateway.host) && gateway.auth_tokens.length === 0) {
    findings.errors.push({
      path: ['gateway', 'host'],
      message: `binding ${gateway.host} exposes the gateway beyond this machine: set gateway.auth_tokens (or LLMGW_AUTH_TOKENS), or bind 127.0.0.1`,
    });
  }
  // Never echo a token: the message names the list and position only.
  checkTokens(gateway.auth_tokens, 'auth_tokens', findings);
  checkTokens(gateway.admin_tokens, 'admin_tokens', findings);
  gateway.admin_tokens.forEach((token, index) => {
    if (gateway.auth_tokens.includes(token)) {
      findings.errors.push({
        path: ['gateway', 'admin_tokens', index],
        message: 'this admin token is also a client token: every client would be an admin',
      });
    }
  });
  if (gateway.first_byte_timeout > gateway.request_timeout) {
    findings.errors.push({
      path: ['gateway', 'first_byte_timeout'],
      message: 'first_byte_timeout must not exceed request_timeout',
    });
  }
  const hasLocal = Object.values(providers).some((provider) => provider.local && provider.enabled);
  if (gateway.mode === 'offline' && !hasLocal) {
    findings.warnings.push({
      path: ['gateway', 'mode'],
      message: 'offline mode with no enabled local provider: only offline packages can answer',
    });
  }
}

function checkTokens(tokens: readonly string[], list: string, findings: RuleFindings): void {
  tokens.forEach((token, index) => {
    if (tokens.indexOf(token) !== index) {
      findings.errors.push({
        path: ['gateway', list, index],
        message: `duplicate token (same as ${list}[${tokens.indexOf(token)}])`,
      });
    } else if (token.length < 16) {
      findings.warnings.push({
        path: ['gateway', list, index],
        message: 'token shorter than 16 characters is easy to guess',
      });
    }
  });
}

function checkKeeper(keeper: KeeperSettings, findings: RuleFindings): void {
  if (keeper.probe.per_provider_concurrency > keeper.probe.concurrency) {
    findings.warnings.push({
      path: ['keeper', 'probe', 'per_provider_concurrency'],
      message: 'per_provider_concurrency above concurrency has no effect',
    });
  }
}

import { join } from 'node:path';
import type { KeyRef } from './types.js';

/** What a hint may point the operator at. */
export interface HintContext {
  provider: string;
  model: string;
  /** `--config`, e.g. `config/providers.yaml`. */
  configFile: string;
  keysDir: string;
  proxiesDir: string;
  /** The provider's `proxy:` setting: `direct`, a URL, or `pool:<name>`. */
  proxy: string;
}

/** "key 7 (sk-…a1b2, keys/openai.txt line 3)" — never the key itself. */
export function describeKey(key: KeyRef): string {
  const where = key.file !== null && key.line !== null ? `, ${key.file} line ${key.line}` : '';
  return `key ${key.keyId} (${key.mask ?? 'mask unknown'}${where})`;
}

function keyLocation(context: HintContext, key: KeyRef | null): string {
  if (key?.file && key.line !== null) return `${key.file} line ${key.line}`;
  if (key)
    return `${join(context.keysDir, `${context.provider}.txt`)} (key ${key.keyId}; \`llmgw keys status\` shows its file and line)`;
  return join(context.keysDir, `${context.provider}.txt`);
}

function proxyAdvice(context: HintContext): string {
  if (context.proxy.startsWith('pool:')) {
    const pool = context.proxy.slice('pool:'.length);
    return `check the proxies in ${join(context.proxiesDir, `${pool}.txt`)} (dead or refusing proxies are moved away from by the keeper)`;
  }
  if (context.proxy === 'direct') return 'check this machine’s network route to the provider';
  return `check providers.${context.provider}.proxy in ${context.configFile}`;
}

function untilText(until: string | null): string {
  return until ? ` (the provider says it resets at ${until.replace('T', ' ').slice(0, 19)} UTC)` : '';
}

/**
 * The next step for an operator, per reason (SPEC §5) or gateway refusal code. Written to be acted on:
 * a file and line to edit, a setting to change, a command to run.
 */
export function hintFor(
  reason: string,
  context: HintContext,
  key: KeyRef | null,
  until: string | null = null,
): string {
  const { provider, model } = context;
  switch (reason) {
    case 'invalid_key':
      return `the provider rejects the key: replace the key in ${keyLocation(context, key)}`;
    case 'no_quota':
      return `no quota left${untilText(until)}: top up the account behind ${keyLocation(context, key)} or wait until it resets; the keeper retries it by itself`;
    case 'rate_limited':
      return `rate limited${untilText(until)}: lower the request rate (providers.${provider}.limits.rpm in ${context.configFile}) or add keys to ${join(context.keysDir, `${provider}.txt`)}`;
    case 'model_unavailable':
      return `${model} is not served to this key: remove it from providers.${provider}.models in ${context.configFile}, or use keys with access to it`;
    case 'proxy_error':
      return `the proxy failed: ${proxyAdvice(context)}`;
    case 'network_error':
      return `could not reach ${provider}: ${proxyAdvice(context)}; check DNS and firewall, and providers.${provider}.base_url`;
    case 'timeout':
      return `${provider} did not answer in time: an overloaded provider or a slow route; ${proxyAdvice(context)}, or raise providers.${provider}.timeouts`;
    case 'server_error':
      return `${provider} answers with server errors: an outage on its side; retry later (the keeper keeps probing it)`;
    case 'bad_request':
      return `${provider} refused the test request as malformed: check providers.${provider}.type and base_url in ${context.configFile}`;
    case 'bad_response':
      return `${provider} answered with something that is not a completion: check providers.${provider}.type and base_url in ${context.configFile}`;
    case 'no_usable_upstream':
      return `the gateway has no usable key for ${provider}/${model} right now: see \`llmgw keys status --provider ${provider}\`, and make sure the keeper runs (\`llmgw worker\` or \`llmgw start\`) so new keys are synced and probed`;
    case 'saturated':
      return `every key of ${provider}/${model} is at its limits: lower the traffic, raise providers.${provider}.limits, or add keys to ${join(context.keysDir, `${provider}.txt`)}`;
    case 'model_not_found':
      return `the gateway does not serve ${provider}/${model}: is it enabled in the ${context.configFile} the gateway was started with? Restart the gateway after editing it`;
    case 'no_keys':
      return `no live key for ${provider}/${model} in the pool: put keys in ${join(context.keysDir, `${provider}.txt`)} and let the keeper sync them (\`llmgw worker\` or \`llmgw start\`)`;
    case 'request_timeout':
      return `the gateway gave up on the request: check \`llmgw keys status --provider ${provider}\` and the gateway's log`;
    case 'gateway_error':
      return 'the gateway stopped answering during the smoke: check that it is still running and its log';
    default:
      return `see the gateway's log and \`llmgw keys status --provider ${provider}\``;
  }
}

import {
  derivedCache,
  type LlmgwConfig,
  modelGroup,
  parseGroupEntry,
  providerNames,
  providerSettings,
  resolveModel,
} from '@llmgw/config';
import type { Candidate, CandidateTiers, ClientError } from '../contracts.js';

export type Operation = 'chat' | 'embeddings';

export interface ResolveInput {
  config: LlmgwConfig;
  /** The request's `model`: a group, `provider/model`, or a bare model name or alias. */
  model: string;
  operation: Operation;
  /** `X-LLM-Provider`: only this provider may serve the request. */
  onlyProvider?: string | undefined;
  /**
   * Models the pool knows beyond the config (providers with `models_from_api`, e.g. Ollama), asked for
   * only when the config alone does not resolve a bare name.
   */
  discovered?: readonly Candidate[] | undefined;
}

export type ResolveResult = { ok: true; tiers: CandidateTiers } | { ok: false; error: ClientError };

const HOW_TO_LIST = 'GET /v1/models lists the models available now';

/**
 * The request's model in terms of the pool: ordered tiers of equivalent candidates (SPEC §7 model
 * selection, §8 modes). Pure: the config and what the pool discovered are its only inputs.
 */
export function resolveTiers(input: ResolveInput): ResolveResult {
  const { config, model, onlyProvider } = input;
  const enabled = providerNames(config);
  if (onlyProvider !== undefined && !enabled.includes(onlyProvider)) {
    const known = enabled.join(', ') || 'none';
    return failure(
      400,
      `X-LLM-Provider names "${onlyProvider}", which is not an enabled provider (enabled: ${known})`,
      'invalid_request_error',
      'unknown_provider',
    );
  }

  const tiers = candidateTiers(input, enabled);
  if (tiers.length === 0) {
    const where = onlyProvider === undefined ? '' : ` at provider "${onlyProvider}"`;
    return notFound(`The model ${quote(model)}${where} is not served by this gateway. ${HOW_TO_LIST}.`);
  }

  const moded = applyMode(tiers, config);
  if (moded.length === 0) {
    const mode = config.gateway.mode;
    const why = mode === 'offline' ? 'no local provider serves it' : 'only local providers serve it';
    return notFound(
      `The model ${quote(model)} is not available in ${mode} mode (LLM_GATEWAY_MODE): ${why}. ${HOW_TO_LIST}.`,
    );
  }
  return { ok: true, tiers: moded };
}

/** Distinct (model, operation, provider header) answers kept per config. */
const MEMO_LIMIT = 1_000;
const configured = derivedCache<ResolveResult>(MEMO_LIMIT);

/**
 * `resolveTiers` from the config alone, remembered per loaded config: the answer depends on nothing
 * else, and every request asks. The result is frozen, since every request with that model shares it.
 */
export function resolveConfigured(input: Omit<ResolveInput, 'discovered'>): ResolveResult {
  const key = `${input.operation}\n${input.onlyProvider ?? ''}\n${input.model}`;
  const known = configured.get(input.config, key);
  if (known !== undefined) return known;
  const answer = resolveTiers(input);
  // Refusals are not kept: unknown names are the client's to vary, and no hot path repeats them.
  if (!answer.ok) return answer;
  for (const tier of answer.tiers) {
    for (const candidate of tier) Object.freeze(candidate);
    Object.freeze(tier);
  }
  Object.freeze(answer.tiers);
  return configured.set(input.config, key, answer);
}

function candidateTiers(input: ResolveInput, enabled: readonly string[]): CandidateTiers {
  const { config, model, onlyProvider } = input;
  const allowed = (provider: string) =>
    enabled.includes(provider) && (onlyProvider === undefined || provider === onlyProvider);
  // Own keys only: a model named "constructor" must not find Object.prototype's.
  const group = Object.hasOwn(config.models, model) ? modelGroup(config, model) : undefined;
  if (group) {
    // One tier per entry, in the operator's order; entries on disabled providers drop out.
    return group
      .filter((entry) => allowed(entry.provider))
      .map((entry) => servedAs(input, entry.provider, entry.model))
      .filter((candidate): candidate is Candidate => candidate !== undefined)
      .map((candidate) => [candidate]);
  }
  const pinned = parseGroupEntry(model);
  // Only a known provider prefix pins: `meta-llama/llama-3.3-70b` is a bare (OpenRouter-style) name.
  if (Object.hasOwn(config.providers, pinned.provider)) {
    if (!allowed(pinned.provider)) return [];
    const candidate = servedAs(input, pinned.provider, pinned.model);
    return candidate ? [[candidate]] : [];
  }
  if (onlyProvider !== undefined) {
    // The header names the provider, so a name only it knows (models_from_api) may pass through.
    const candidate = servedAs(input, onlyProvider, model);
    return candidate ? [[candidate]] : [];
  }
  const everyone = enabled
    .map((provider) => servedByConfig(input, provider, model))
    .filter((candidate): candidate is Candidate => candidate !== undefined);
  const known = new Set(everyone.map(key));
  for (const candidate of input.discovered ?? []) {
    if (candidate.model === model && enabled.includes(candidate.provider) && !known.has(key(candidate))) {
      everyone.push(candidate);
      known.add(key(candidate));
    }
  }
  return everyone.length > 0 ? [everyone] : [];
}

/**
 * The canonical name under which `provider` serves `model`: its configured name (aliases resolved),
 * or the name as given when the provider lists its models itself (`models_from_api`) and so may serve
 * names the config does not know; the pool decides whether a usable triple exists.
 */
function servedAs(input: ResolveInput, provider: string, model: string): Candidate | undefined {
  const configured = servedByConfig(input, provider, model);
  if (configured) return configured;
  return providerSettings(input.config, provider).models_from_api ? { provider, model } : undefined;
}

function servedByConfig(input: ResolveInput, provider: string, model: string): Candidate | undefined {
  const settings = providerSettings(input.config, provider);
  if (input.operation === 'embeddings') {
    return settings.embedding_models.includes(model) ? { provider, model } : undefined;
  }
  const canonical = resolveModel(input.config, provider, model);
  return canonical !== undefined && Object.hasOwn(settings.models, canonical)
    ? { provider, model: canonical }
    : undefined;
}

/**
 * `online` never uses local providers, `offline` only them; `auto` keeps them as the last resort, after
 * every remote tier (SPEC §8).
 */
function applyMode(tiers: CandidateTiers, config: LlmgwConfig): CandidateTiers {
  const isLocal = (candidate: Candidate) => providerSettings(config, candidate.provider).local;
  const remote = tiers.map((tier) => tier.filter((candidate) => !isLocal(candidate)));
  const local = tiers.map((tier) => tier.filter(isLocal));
  const mode = config.gateway.mode;
  const chosen = mode === 'online' ? remote : mode === 'offline' ? local : [...remote, ...local];
  return chosen.filter((tier) => tier.length > 0);
}

function key(candidate: Candidate): string {
  return `${candidate.provider}/${candidate.model}`;
}

/** Echoes the client's name back, but never a megabyte of it. */
function quote(model: string): string {
  return JSON.stringify(model.length > 200 ? `${model.slice(0, 200)}…` : model);
}

function notFound(message: string): ResolveResult {
  return failure(404, message, 'invalid_request_error', 'model_not_found');
}

function failure(status: number, message: string, type: string, code: string): ResolveResult {
  return { ok: false, error: { status, message, type, code } };
}

import type { RawIssue } from './env.js';
import { isPlainObject, mergeDeep, normalizeModels, type PlainObject, setOwn } from './merge.js';
import { type ProviderTemplate, TEMPLATE_NAMES, templateFor } from './templates.js';

/**
 * Lays every provider of the patch over its template. The template is the one named by `template`,
 * else the provider's own name when that is a template of the same type (`groq:` alone is enough),
 * else the one named like its type (`type: gemini` gets the Gemini URL and auth).
 * Schema defaults are filled in afterwards by the schema itself.
 */
export function expandProviders(providers: unknown, issues: RawIssue[]): unknown {
  if (!isPlainObject(providers)) return providers;
  const expanded: PlainObject = {};
  for (const [name, value] of Object.entries(providers)) {
    // `groq:` with nothing under it means "the template as is".
    const patch = value === null ? {} : value;
    setOwn(expanded, name, isPlainObject(patch) ? expandProvider(name, patch, issues) : patch);
  }
  return expanded;
}

function expandProvider(name: string, patch: PlainObject, issues: RawIssue[]): PlainObject {
  const template = resolveTemplate(name, patch, issues);
  const patchModels = normalizeModels(patch.models);
  if (!template) return { ...patch, ...(patch.models === undefined ? {} : { models: patchModels }) };
  const base = template.settings as PlainObject;
  const merged = mergeDeep(
    { ...base, models: normalizeModels(base.models) },
    { ...patch, models: undefined },
  );
  if (!isPlainObject(merged)) return patch;
  merged.template = template.name;
  // A list of models is the complete set; a map adjusts the template's models one by one.
  if (Array.isArray(patch.models)) merged.models = patchModels;
  else if (patch.models !== undefined) merged.models = mergeDeep(merged.models, patchModels);
  if (merged.models === undefined) delete merged.models;
  return merged;
}

function resolveTemplate(name: string, patch: PlainObject, issues: RawIssue[]): ProviderTemplate | undefined {
  if (patch.template !== undefined) {
    const named = typeof patch.template === 'string' ? templateFor(patch.template) : undefined;
    if (!named) {
      issues.push({
        path: ['providers', name, 'template'],
        message: `unknown template ${JSON.stringify(patch.template)}; known: ${TEMPLATE_NAMES.join(', ')}`,
      });
    }
    return named;
  }
  const byName = templateFor(name);
  if (byName && (patch.type === undefined || patch.type === byName.settings.type)) return byName;
  return typeof patch.type === 'string' ? templateFor(patch.type) : undefined;
}

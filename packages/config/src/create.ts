import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, LlmgwError, PROVIDER_TYPES } from '@llmgw/core';
import { type Document, isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { mergeDeep, type PlainObject } from './merge.js';
import { providerSchema } from './provider-schema.js';
import { fieldsOf, objectInputDefaults, schemaAt, unwrapSchema } from './schema-walk.js';
import { TEMPLATE_NAMES, templateFor } from './templates.js';
import { firstLine } from './yaml-lines.js';

/*
 * `llmgw config create`: adds one provider to providers.yaml through the yaml Document API, so the
 * operator's comments, order and formatting elsewhere in the file survive the edit.
 */

export const CONFIG_FILE_HEADER = [
  ' llmgw provider configuration: a patch over built-in defaults and provider templates.',
  ' Write only what differs; `llmgw config show` prints the merged result,',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the comment documents the file's ${VAR} syntax
  ' `llmgw config validate` checks it. ${VAR} and ${VAR:-default} read the environment',
  ' (and .env beside this file). Keys go in keys/<provider>.txt, one per line. See config/README.md.',
].join('\n');

export interface ProviderSpec {
  /** A template name (groq, gemini…) or a bare provider type (openai_like). */
  readonly kind: string;
  readonly name: string;
}

/** `<type>:<name>`, or `<type>` alone meaning a provider named like its template. */
export function parseProviderSpec(spec: string): ProviderSpec {
  const colon = spec.indexOf(':');
  const kind = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const name = (colon < 0 ? spec : spec.slice(colon + 1)).trim();
  if (!knownKinds().includes(kind)) {
    throw new LlmgwError(
      `unknown provider type "${kind}". Templates: ${TEMPLATE_NAMES.join(', ')}. Bare types: ${PROVIDER_TYPES.join(', ')}.`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new LlmgwError(
      `invalid provider name "${name}": use letters, digits, "-", "_" or "." (e.g. ${kind}:${kind}-main)`,
    );
  }
  return { kind, name };
}

export function knownKinds(): string[] {
  return [...new Set<string>([...TEMPLATE_NAMES, ...PROVIDER_TYPES])];
}

export interface ProviderFragment {
  readonly settings: PlainObject;
  /** Comment written above the provider. */
  readonly comment: string;
  /** Environment variables the operator must set before the config validates. */
  readonly placeholders: readonly string[];
}

/** What `create` writes: minimal (only what differs) or full (every setting with its default). */
export function providerFragment(spec: ProviderSpec, options: { full: boolean }): ProviderFragment {
  const template = templateFor(spec.kind);
  const placeholders: string[] = [];
  const own: PlainObject = {};
  if (template) {
    if (options.full || spec.name !== template.name) own.template = template.name;
  } else {
    // A bare type has no template to supply the URL: a placeholder makes validate name what is missing.
    const variable = `${spec.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;
    placeholders.push(variable);
    own.type = spec.kind;
    own.base_url = `\${${variable}}`;
  }
  const comment = template
    ? ` ${spec.name}: ${template.description}. Keys: keys/${spec.name}.txt`
    : ` ${spec.name}: ${spec.kind} provider; set ${placeholders.join(', ')} (or write the URL here) and list its models. Keys: keys/${spec.name}.txt`;
  if (!options.full) return { settings: own, comment, placeholders };
  const defaults = objectInputDefaults(providerSchema);
  const merged = mergeDeep(mergeDeep(defaults, template?.settings ?? {}), own);
  return { settings: inSchemaOrder(merged as PlainObject), comment, placeholders };
}

function inSchemaOrder(settings: PlainObject): PlainObject {
  const ordered: PlainObject = {};
  for (const key of Object.keys(fieldsOf(providerSchema))) {
    if (settings[key] !== undefined) ordered[key] = settings[key];
  }
  return ordered;
}

export interface CreateResult {
  readonly file: string;
  readonly name: string;
  readonly createdFile: boolean;
  readonly placeholders: readonly string[];
}

/** Adds provider `name` to the config file (creating the file if needed); refuses a duplicate. */
export function createProvider(options: { file: string; spec: string; full: boolean }): CreateResult {
  const spec = parseProviderSpec(options.spec);
  const exists = existsSync(options.file);
  const text = exists ? readFileSync(options.file, 'utf8') : undefined;
  const fragment = providerFragment(spec, { full: options.full });
  const updated = addProvider(text, spec.name, fragment, { file: options.file, full: options.full });
  if (!exists) mkdirSync(dirname(options.file), { recursive: true });
  writeFileSync(options.file, updated);
  return { file: options.file, name: spec.name, createdFile: !exists, placeholders: fragment.placeholders };
}

/** The file text with the provider added; `text` undefined means a new file. */
export function addProvider(
  text: string | undefined,
  name: string,
  fragment: ProviderFragment,
  options: { file: string; full: boolean },
): string {
  const lineCounter = new LineCounter();
  const document: Document = parseDocument(text ?? '', { lineCounter });
  const syntax = document.errors[0];
  if (syntax) {
    throw new ConfigError([
      {
        path: '',
        file: options.file,
        ...(syntax.linePos ? { line: syntax.linePos[0].line } : {}),
        message: `invalid YAML, not editing the file: ${firstLine(syntax.message)}`,
      },
    ]);
  }
  if (text === undefined || text.trim() === '') document.commentBefore ??= CONFIG_FILE_HEADER;
  if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) {
    document.contents = document.createNode({});
  }
  const root = document.contents;
  if (!isMap(root))
    throw new LlmgwError(`${options.file}: the top level is not a map; cannot add a provider`);
  const providers = providersMap(document, root, options.file);
  if (providers.has(name)) {
    const key = providers.items.find((pair) => isScalar(pair.key) && pair.key.value === name)?.key;
    const offset = isScalar(key) ? key.range?.[0] : undefined;
    const where = offset === undefined ? options.file : `${options.file}:${lineCounter.linePos(offset).line}`;
    throw new LlmgwError(`provider "${name}" already exists (${where}); choose another name, e.g. ${name}-2`);
  }

  const node = document.createNode(fragment.settings);
  if (Object.keys(fragment.settings).length === 0) node.flow = true;
  if (options.full && isMap(node)) annotate(node, providerSchema);
  const pair = document.createPair(name, node);
  const key = pair.key;
  if (isScalar(key)) {
    // A trailing comment of the map is printed after its last item; keep it above the new provider.
    const trailing = providers.comment?.split('\n\n') ?? [];
    const [ownTrailing, ...nextKeyComment] = trailing;
    key.commentBefore = ownTrailing ? `${ownTrailing}\n\n${fragment.comment}` : fragment.comment;
    key.spaceBefore = providers.items.length > 0 && !ownTrailing;
    providers.comment = null;
    if (nextKeyComment.length > 0) moveToNextKey(root, providers, nextKeyComment.join('\n\n'));
  }
  providers.add(pair);
  return String(document);
}

function providersMap(document: Document, root: YAMLMap, file: string): YAMLMap {
  const existing = root.get('providers', true);
  if (isMap(existing)) return existing;
  if (existing !== undefined && !(isScalar(existing) && existing.value === null)) {
    throw new LlmgwError(`${file}: "providers" is not a map; cannot add a provider`);
  }
  const created = document.createNode({});
  if (!isMap(created)) throw new LlmgwError('internal: could not create the providers map');
  root.set('providers', created);
  return created;
}

/** Text the parser attached to the providers map but that sits above the next top-level key. */
function moveToNextKey(root: YAMLMap, providers: YAMLMap, comment: string): void {
  const index = root.items.findIndex((pair) => pair.value === providers);
  const nextKey = root.items[index + 1]?.key;
  if (isScalar(nextKey)) {
    nextKey.commentBefore = nextKey.commentBefore ? `${comment}\n${nextKey.commentBefore}` : comment;
    nextKey.spaceBefore = true;
  } else {
    providers.comment = comment;
  }
}

/** Puts each setting's explanation from the schema above its key, down through nested sections. */
function annotate(node: YAMLMap, schema: z.core.$ZodType): void {
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    const field = schemaAt(schema, [String(pair.key.value)]);
    if (!field) continue;
    const description = z.globalRegistry.get(field)?.description;
    if (description) pair.key.commentBefore = ` ${description}`;
    if (isMap(pair.value) && unwrapSchema(field) instanceof z.ZodObject) annotate(pair.value, field);
  }
}

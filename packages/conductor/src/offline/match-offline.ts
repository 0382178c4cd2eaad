import {
  normalizeOfflineText,
  type OfflineAnswer,
  type OfflineEmbedding,
  type OfflinePackages,
} from '@llmgw/config';

/** The packages as lookups: exact messages and inputs by hash, the rest scanned in file order. */
export interface OfflineIndex {
  /** The answer for the last user message, or undefined. */
  answerFor(model: string, text: string): OfflineAnswer | undefined;
  /** One vector per input, or undefined when any input has none (a partial answer is no answer). */
  vectorsFor(model: string, inputs: readonly string[]): (readonly number[])[] | undefined;
  readonly size: number;
}

interface Scanned {
  answer: OfflineAnswer;
  test(normalized: string, raw: string): boolean;
}

/**
 * Exact `match` entries win over `contains` and `regex` ones (the most specific answer), then the first
 * in file-name and entry order. Entries naming models only answer those model names.
 */
export function indexOfflinePackages(packages: OfflinePackages): OfflineIndex {
  const exact = new Map<string, OfflineAnswer[]>();
  const scanned: Scanned[] = [];
  for (const answer of packages.answers) {
    if (answer.match !== undefined) {
      const key = normalizeOfflineText(answer.match);
      const list = exact.get(key) ?? [];
      list.push(answer);
      exact.set(key, list);
    } else if (answer.contains !== undefined) {
      const needle = answer.contains.toLowerCase();
      scanned.push({ answer, test: (_normalized, raw) => raw.toLowerCase().includes(needle) });
    } else if (answer.regex !== undefined) {
      const pattern = new RegExp(answer.regex, answer.flags ?? '');
      scanned.push({ answer, test: (_normalized, raw) => pattern.test(raw) });
    }
  }
  const vectors = new Map<string, OfflineEmbedding[]>();
  for (const embedding of packages.embeddings) {
    const list = vectors.get(embedding.input) ?? [];
    list.push(embedding);
    vectors.set(embedding.input, list);
  }
  return {
    size: packages.answers.length + packages.embeddings.length,
    answerFor(model, text) {
      const normalized = normalizeOfflineText(text);
      const exactHit = exact.get(normalized)?.find((answer) => servesModel(answer.model, model));
      if (exactHit) return exactHit;
      return scanned.find((entry) => servesModel(entry.answer.model, model) && entry.test(normalized, text))
        ?.answer;
    },
    vectorsFor(model, inputs) {
      const result: (readonly number[])[] = [];
      for (const input of inputs) {
        const hit = vectors.get(input)?.find((embedding) => servesModel(embedding.model, model));
        if (!hit) return undefined;
        result.push(hit.vector);
      }
      return result;
    },
  };
}

/** An entry without models serves any; otherwise the requested name, or its part after `provider/`. */
function servesModel(models: readonly string[], requested: string): boolean {
  if (models.length === 0 || models.includes(requested)) return true;
  const slash = requested.indexOf('/');
  return slash !== -1 && models.includes(requested.slice(slash + 1));
}

/** The text of the last user message (text parts joined by newlines); undefined when there is none. */
export function lastUserText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message: unknown = messages[index];
    if (typeof message !== 'object' || message === null) continue;
    if (Reflect.get(message, 'role') !== 'user') continue;
    return textOf(Reflect.get(message, 'content'));
  }
  return undefined;
}

function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    else if (typeof part === 'object' && part !== null && Reflect.get(part, 'type') === 'text') {
      const text: unknown = Reflect.get(part, 'text');
      if (typeof text === 'string') texts.push(text);
    }
  }
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** Embeddings inputs as strings; token-id inputs (numbers) cannot be matched against prepared text. */
export function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  return input.every((item): item is string => typeof item === 'string') ? input : undefined;
}

import { LlmgwError } from '@llmgw/core';

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse that answers undefined instead of throwing; upstream error bodies are often not JSON. */
export function tryParseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const verbatim = new WeakMap<object, string>();

/**
 * Records that `text` is a faithful JSON rendering of `body` (it was parsed from it and nothing was
 * repaired), so the gateway can send the upstream's bytes on instead of serialising the object again.
 * Callers must not change `body` afterwards.
 */
export function keepVerbatim<T extends object>(body: T, text: string): T {
  verbatim.set(body, text);
  return body;
}

/** The upstream text `body` was parsed from, when `keepVerbatim` vouched for it. */
export function verbatimJson(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null ? verbatim.get(body) : undefined;
}

/** A 2xx body that must be a JSON object; anything else is the upstream's fault (server_error). */
export function parseJsonObject(text: string, what: string): JsonRecord {
  const value = tryParseJson(text);
  if (!isRecord(value)) {
    throw new LlmgwError(`upstream sent an unreadable ${what}`, { reason: 'server_error' });
  }
  return value;
}

export function stringField(record: JsonRecord | undefined, name: string): string | undefined {
  const value = record?.[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberField(record: JsonRecord | undefined, name: string): number | undefined {
  const value = record?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function recordField(record: JsonRecord | undefined, name: string): JsonRecord | undefined {
  const value = record?.[name];
  return isRecord(value) ? value : undefined;
}

export function arrayField(record: JsonRecord | undefined, name: string): unknown[] {
  const value = record?.[name];
  return Array.isArray(value) ? value : [];
}

export function recordsOf(values: unknown[]): JsonRecord[] {
  return values.filter(isRecord);
}

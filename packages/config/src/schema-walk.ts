import { z } from 'zod';
import type { PathSegment } from './env.js';

/*
 * Reading the schema itself, so defaults, key lists and explanations are never written twice:
 * unknown-key suggestions and `config create --full` both come from here.
 */

/** The schema under wrappers that do not change the shape (defaults, optional, nullable, transforms). */
export function unwrapSchema(schema: z.core.$ZodType): z.core.$ZodType {
  let current: z.core.$ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else if (current instanceof z.ZodUnion) {
      // `models` is "list or map": the map side is the one with a shape worth describing.
      const structured = current.options.find(
        (option) => option instanceof z.ZodRecord || option instanceof z.ZodObject,
      );
      if (!structured) return current;
      current = structured;
    } else {
      return current;
    }
  }
}

/** The schema that governs a path, or undefined when the path leaves the schema. */
export function schemaAt(root: z.core.$ZodType, path: readonly PathSegment[]): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    const inner = unwrapSchema(current);
    if (inner instanceof z.ZodObject) current = fieldsOf(inner)[String(segment)];
    else if (inner instanceof z.ZodRecord) current = inner.valueType;
    else if (inner instanceof z.ZodArray) current = inner.element;
    else return undefined;
  }
  return current;
}

export function fieldsOf(schema: z.core.$ZodType): Readonly<Record<string, z.core.$ZodType>> {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodObject ? inner.shape : {};
}

/** The input-form default ("15m", not 900000) a field starts from, with nested objects filled in. */
export function inputDefaults(schema: z.core.$ZodType): unknown {
  if (Object.keys(fieldsOf(schema)).length > 0 && hasDefault(schema)) return objectInputDefaults(schema);
  let current: z.core.$ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault)
      return structuredClone(current.def.defaultValue);
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap();
    else return undefined;
  }
}

/** Every field of an object schema that has a default, as an operator would write it. */
export function objectInputDefaults(schema: z.core.$ZodType): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fieldsOf(schema))) {
    const value = inputDefaults(field);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function hasDefault(schema: z.core.$ZodType): boolean {
  let current: z.core.$ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) return true;
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap();
    else return false;
  }
}

/** Nearest known key to a typo, if one is close enough to be a likely intent. */
export function suggestKey(typo: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(typo.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(typo.length / 3)) ? best : undefined;
}

function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    for (let col = 1; col <= right.length; col++) {
      const substitution = (previous[col - 1] ?? 0) + (left[row - 1] === right[col - 1] ? 0 : 1);
      current[col] = Math.min((previous[col] ?? 0) + 1, (current[col - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

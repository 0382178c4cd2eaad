import type { z } from 'zod';
import type { RawIssue } from './env.js';
import { fieldsOf, schemaAt, suggestKey } from './schema-walk.js';

/**
 * zod's issues in the operator's words, for any file checked against `root` (providers.yaml, offline
 * packages): one issue per unknown key (with a suggestion for typos), and "missing" rather than
 * "expected string, received undefined".
 */
export function mapSchemaIssues(root: z.core.$ZodType, issues: readonly z.core.$ZodIssue[]): RawIssue[] {
  const result: RawIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((segment) => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(fieldsOf(schemaAt(root, path) ?? root));
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, known);
        const hint = suggestion ? `did you mean "${suggestion}"?` : `known keys: ${known.join(', ')}`;
        result.push({ path: [...path, key], message: `unknown key "${key}" (${hint})` });
      }
      continue;
    }
    const missing = /^Invalid input: expected (.+), received undefined$/.exec(issue.message);
    result.push({ path, message: missing ? `required but missing (expected ${missing[1]})` : issue.message });
  }
  return result;
}

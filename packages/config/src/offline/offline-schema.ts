import { z } from 'zod';
import { nonEmptyString } from '../schema-primitives.js';

/*
 * An offline package (`config/offline/*.yaml`, SPEC §8): prepared chat answers and embeddings the
 * gateway serves when no provider can (offline mode, or auto mode after every provider failed).
 */

/** Regex flags that make sense for matching one message; `g`/`y` would make `test()` stateful. */
const REGEX_FLAGS = /^[imsu]*$/;

/** A non-blank string that says "missing" when it is absent, not "expected a string". */
function required(what: string) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? `required but missing (${what})` : `expected ${what}`),
    })
    .trim()
    .min(1, { error: `expected ${what}` });
}

/** A single model name or a list: the entry only answers requests that ask for one of them. */
const modelsField = z
  .union([nonEmptyString('a model name'), z.array(nonEmptyString('a model name')).min(1)], {
    error: 'expected a model name or a list of model names',
  })
  .optional()
  .transform((value) => (value === undefined ? [] : typeof value === 'string' ? [value] : value))
  .describe('only requests for these model names (as the client sends them); omitted = any model');

export const offlineAnswerSchema = z
  .strictObject({
    match: nonEmptyString('the message text')
      .optional()
      .describe('the last user message, ignoring case and surrounding or repeated whitespace'),
    contains: nonEmptyString('a text')
      .optional()
      .describe('the last user message contains this text (ignoring case)'),
    regex: z
      .string({ error: 'expected a regular expression' })
      .min(1, { error: 'expected a regular expression' })
      .optional()
      .describe('a JavaScript regular expression tested against the last user message'),
    flags: z
      .string({ error: 'expected regex flags' })
      .regex(REGEX_FLAGS, { error: 'expected regex flags among i, m, s, u' })
      .optional()
      .describe('flags of `regex` (i, m, s, u)'),
    model: modelsField,
    answer: required('the answer text').describe('the assistant reply served for a match'),
  })
  .superRefine((entry, ctx) => {
    const given = (['match', 'contains', 'regex'] as const).filter((field) => entry[field] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1] ?? 'match'] : [],
        message:
          given.length === 0
            ? 'needs one of match, contains or regex'
            : `use only one of match, contains or regex (got ${given.join(' and ')})`,
      });
    }
    if (entry.flags !== undefined && entry.regex === undefined) {
      ctx.addIssue({ code: 'custom', path: ['flags'], message: 'flags only apply to regex' });
    }
    if (entry.regex !== undefined) {
      try {
        new RegExp(entry.regex, entry.flags ?? '');
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        ctx.addIssue({ code: 'custom', path: ['regex'], message: `invalid regular expression: ${why}` });
      }
    }
  });

const vectorSchema = z
  .array(
    z.number({ error: 'expected a number' }).refine(Number.isFinite, { error: 'expected a finite number' }),
    {
      error: 'expected a list of numbers',
    },
  )
  .min(1, { error: 'a vector needs at least one number' });

export const offlineEmbeddingSchema = z.strictObject({
  input: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'required but missing (the input text)' : 'expected the input text',
    })
    .describe('the exact input text'),
  model: modelsField,
  vector: vectorSchema.describe('the embedding returned for this input'),
});

export const offlinePackageSchema = z.strictObject({
  description: z.string().optional().describe('what this package is for (not used by the gateway)'),
  answers: z.array(offlineAnswerSchema, { error: 'expected a list of answers' }).default([]),
  embeddings: z.array(offlineEmbeddingSchema, { error: 'expected a list of embeddings' }).default([]),
});

export type OfflineAnswerEntry = z.output<typeof offlineAnswerSchema>;
export type OfflineEmbeddingEntry = z.output<typeof offlineEmbeddingSchema>;

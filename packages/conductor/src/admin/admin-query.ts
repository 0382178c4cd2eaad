import { FAILURE_REASONS, LlmgwError, TRIPLE_STATES } from '@llmgw/core';
import type { AdminKeyFilter } from '@llmgw/db';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** A query-string problem: handleError turns it into a 400 naming the parameter. */
function badQuery(message: string): LlmgwError {
  return new LlmgwError(message, { status: 400 });
}

type Query = Record<string, string | undefined>;

export function parsePositiveId(value: string | undefined, name: string): number {
  const id = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(id) || id <= 0) {
    throw badQuery(`${name} must be a positive integer id, got "${value ?? ''}"`);
  }
  return id;
}

export function parseLimit(value: string | undefined, fallback = DEFAULT_PAGE): number {
  if (value === undefined || value === '') return fallback;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_PAGE) {
    throw badQuery(`limit must be an integer from 1 to ${MAX_PAGE}, got "${value}"`);
  }
  return limit;
}

function parseOffset(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badQuery(`offset must be a non-negative integer, got "${value}"`);
  }
  return Number(value);
}

export function parseCursor(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return parsePositiveId(value, 'cursor');
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badQuery(`${name} must be true or false, got "${value}"`);
}

function parseStates(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const states = value.split(',').map((state) => state.trim());
  for (const state of states) {
    if (!(TRIPLE_STATES as readonly string[]).includes(state)) {
      throw badQuery(
        `state must be one or more of ${TRIPLE_STATES.join(', ')} (comma-separated), got "${state}"`,
      );
    }
  }
  return states;
}

function parseReason(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(FAILURE_REASONS as readonly string[]).includes(value)) {
    throw badQuery(`reason must be one of ${FAILURE_REASONS.join(', ')}, got "${value}"`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** `GET /admin/keys?provider&state&model&reason&q&disabled&include_removed&limit&cursor|offset`. */
export function parseKeyFilter(query: Query): AdminKeyFilter {
  const filter: AdminKeyFilter = { limit: parseLimit(query.limit) };
  const provider = nonEmpty(query.provider);
  if (provider !== undefined) filter.provider = provider;
  const states = parseStates(query.state);
  if (states !== undefined) filter.states = states;
  const model = nonEmpty(query.model);
  if (model !== undefined) filter.model = model;
  const reason = parseReason(query.reason);
  if (reason !== undefined) filter.reason = reason;
  const search = nonEmpty(query.q);
  if (search !== undefined) filter.search = search;
  const disabled = parseBoolean(query.disabled, 'disabled');
  if (disabled !== undefined) filter.disabled = disabled;
  if (parseBoolean(query.include_removed, 'include_removed') === true) filter.includeRemoved = true;
  const cursor = parseCursor(query.cursor);
  const offset = parseOffset(query.offset);
  if (cursor !== undefined && offset !== undefined) {
    throw badQuery('use either cursor or offset, not both');
  }
  if (cursor !== undefined) filter.cursor = cursor;
  if (offset !== undefined) filter.offset = offset;
  return filter;
}

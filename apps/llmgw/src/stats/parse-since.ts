import { LlmgwError } from '@llmgw/core';
import ms from 'ms';

/** `--since 1h` → the moment one hour before `now`; an operator typo is a clear error, not "no data". */
export function parseSince(value: string, now: number): Date {
  const span = ms(value as ms.StringValue);
  if (typeof span !== 'number' || !Number.isFinite(span) || span <= 0) {
    throw new LlmgwError(`--since expects a duration like 30m, 6h or 7d, got "${value}"`);
  }
  return new Date(now - span);
}

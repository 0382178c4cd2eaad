const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
};

const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/g;

/**
 * Milliseconds from a Go-style duration (`6m0s`, `1.5s`, `20ms`, `1h2m3.5s`) as OpenAI and Groq
 * send in `x-ratelimit-reset-*` and error texts; Google's proto durations (`17s`, `0.5s`) are a
 * subset. Undefined when the text is not entirely such a duration.
 */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) return undefined;
    const [whole, amount = '0', unit = 's'] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? 0);
    consumed += whole.length;
  }
  return consumed === trimmed.length ? Math.round(total) : undefined;
}

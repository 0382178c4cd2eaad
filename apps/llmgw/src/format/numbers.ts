/** "1234" → "1,234"; "1234567" → "1.23M": token counts stay readable in a narrow column. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000_000_000) return `${(value / 1_000_000_000).toFixed(2)}G`;
  if (abs >= 1_000_000) return `${(value / 1_000_000).toFixed(2)}M`;
  return Math.round(value).toLocaleString('en-US');
}

/** 0.0712 → "7.1%"; null → "-". */
export function formatPercent(value: number | null): string {
  if (value === null) return '-';
  return `${(value * 100).toFixed(value > 0 && value < 0.001 ? 2 : 1)}%`;
}

/** 87.4 → "87ms", 2345 → "2.35s"; null → "-". */
export function formatMs(value: number | null): string {
  if (value === null) return '-';
  return value < 1000 ? `${Math.round(value)}ms` : `${(value / 1000).toFixed(2)}s`;
}

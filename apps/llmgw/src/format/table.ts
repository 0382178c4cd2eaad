/** Aligned plain-text columns for terminal output; no colours so it pipes cleanly into grep and less. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** "in 4m 10s", "2h ago": how far a moment is from now, for cooldown ends and last-seen times. */
export function formatRelative(at: Date | null, now: number): string {
  if (!at) return '-';
  const delta = at.getTime() - now;
  const seconds = Math.round(Math.abs(delta) / 1000);
  const text =
    seconds < 60
      ? `${seconds}s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)}m ${seconds % 60}s`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`
          : `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

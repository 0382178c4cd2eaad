/**
 * Progress of a long pass (the first sync of thousands of keys): a log line at every tenth, so an
 * operator watching a TTY (pretty logs) or a log pipeline (JSON) sees it move. Small passes stay quiet.
 */
export function progressReporter(
  report: (fields: { done: number; total: number; percent: number }) => void,
  minTotal = 1000,
): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (total < minTotal) return;
    const tenth = Math.floor((done / total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    report({ done, total, percent: Math.round((done / total) * 100) });
  };
}

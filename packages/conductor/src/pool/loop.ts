/** A periodic task that never overlaps itself and keeps going after errors (they are the task's to log). */
export interface Loop {
  /** Runs the task now (after the current run, if one is going). */
  kick(): void;
  stop(): void;
}

export function startLoop(everyMs: number, task: () => Promise<void>): Loop {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void task()
      .catch(() => {})
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(everyMs);
      });
  };
  schedule(everyMs);
  return {
    kick() {
      if (running) again = true;
      else schedule(0);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * Waits that end early when the exchange ends: a client that aborts a slow stream must not leave
 * timers behind that keep writing to a dead socket or keep the process (and vitest) alive.
 */
export interface Pacer {
  /** Resolves true after `ms`, or false at once if the exchange was stopped meanwhile. */
  wait(ms: number): Promise<boolean>;
  stop(): void;
}

export function createPacer(): Pacer {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: ((value: boolean) => void) | undefined;
  return {
    wait(ms) {
      if (stopped) return Promise.resolve(false);
      return new Promise((resolve) => {
        wake = resolve;
        timer = setTimeout(() => {
          wake = undefined;
          resolve(!stopped);
        }, ms);
      });
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.(false);
      wake = undefined;
    },
  };
}

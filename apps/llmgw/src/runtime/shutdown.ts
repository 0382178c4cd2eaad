import type { Logger } from 'pino';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT and resolves when it is done; a second signal while
 * stopping exits at once (the operator insists). Returns a promise that settles when the process
 * should exit, with the exit code.
 */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handle = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      stop().then(
        () => resolve(0),
        (error: unknown) => {
          log.error(
            { error: error instanceof Error ? error.message : String(error) },
            'stopped with an error',
          );
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', handle);
    process.on('SIGINT', handle);
  });
}

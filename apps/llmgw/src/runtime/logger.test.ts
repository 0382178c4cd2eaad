import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER_MODULE = fileURLToPath(new URL('./logger.ts', import.meta.url));

interface Captured {
  /** Each `data` event of the child's stdout pipe: one per write the child made (or fewer). */
  chunks: { at: number; text: string }[];
  code: number | null;
}

/** Runs `body` after `const log = createLogger('info')` in a fresh Node process; records its stdout. */
function runWithLogger(body: string): Promise<Captured> {
  const code = `
    import { createLogger } from ${JSON.stringify(LOGGER_MODULE)};
    const log = createLogger('info', { pretty: false });
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    ${body}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const captured: Captured = { chunks: [], code: null };
    child.stdout.on('data', (chunk: Buffer) =>
      captured.chunks.push({ at: Date.now(), text: chunk.toString('utf8') }),
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      captured.code = exitCode;
      resolve(captured);
    });
  });
}

const lines = (captured: Captured) =>
  captured.chunks
    .map((chunk) => chunk.text)
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string });

describe('the JSON log', () => {
  it('sends lines logged a few ms apart in a few writes, not one write per line', async () => {
    const captured = await runWithLogger(`
      for (let n = 0; n < 40; n += 1) {
        log.info({ n }, 'access line ' + n);
        await sleep(2);
      }
      await sleep(400);
    `);
    expect(captured.code).toBe(0);
    expect(lines(captured).map((line) => line.msg)).toEqual(
      Array.from({ length: 40 }, (_, n) => `access line ${n}`),
    );
    // 40 lines over ≥ 80 ms: one write per line would be ~40 reads here; batched by 100 ms it is 1–3.
    expect(captured.chunks.length).toBeLessThanOrEqual(4);
  }, 60_000);

  it('still shows a lone line of an idle process within a fraction of a second', async () => {
    const captured = await runWithLogger(`
      log.info({ loggedAt: Date.now() }, 'listening');
      await sleep(3000);
    `);
    expect(captured.code).toBe(0);
    const [line] = lines(captured) as { msg: string; loggedAt: number }[];
    expect(line?.msg).toBe('listening');
    // The process lives 3 s after the line; the line must not wait for a full buffer or for the exit.
    const arrivedAt = captured.chunks[0]?.at ?? Number.POSITIVE_INFINITY;
    expect(arrivedAt - (line?.loggedAt ?? 0)).toBeLessThan(1000);
  }, 60_000);

  it('queues no write while nothing is logged', async () => {
    const captured = await runWithLogger(`
      const { createHook } = await import('node:async_hooks');
      log.info('before the quiet');
      await sleep(300);
      let writes = 0;
      const hook = createHook({ init(_id, type) { if (type === 'FSREQCALLBACK') writes += 1; } }).enable();
      await sleep(1000);
      hook.disable();
      log.info({ writes }, 'after the quiet');
      await sleep(300);
    `);
    expect(captured.code).toBe(0);
    const [, after] = lines(captured) as { msg: string; writes?: number }[];
    expect(after?.msg).toBe('after the quiet');
    // sonic-boom's periodicFlush made an empty write every 100 ms: about 10 in this second.
    expect(after?.writes).toBe(0);
  }, 60_000);

  it('writes every buffered line when the process exits at once', async () => {
    const captured = await runWithLogger(`
      log.info('first');
      log.error('last words');
      process.exit(3);
    `);
    expect(captured.code).toBe(3);
    expect(lines(captured).map((line) => line.msg)).toEqual(['first', 'last words']);
  }, 60_000);
});

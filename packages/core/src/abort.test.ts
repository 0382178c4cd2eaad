import { describe, expect, it } from 'vitest';
import { type AbortWatch, createAbortCell } from './abort.js';

describe('an abort cell', () => {
  it('calls each listener once, in the order they were added, with the reason already set', () => {
    const cell = createAbortCell();
    const calls: string[] = [];
    const first = () => calls.push(`first ${String(cell.reason)}`);
    cell.addEventListener('abort', first);
    cell.addEventListener('abort', first);
    cell.addEventListener('abort', () => calls.push(`second ${cell.aborted}`), { once: true });
    expect(cell.aborted).toBe(false);
    cell.abort('why');
    cell.abort('again');
    expect(calls).toEqual(['first why', 'second true']);
    expect(cell.reason).toBe('why');
  });

  it('forgets a removed listener, and ignores one added after the abort', () => {
    const cell = createAbortCell();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    cell.addEventListener('abort', removed);
    cell.addEventListener('abort', () => calls.push('kept'));
    cell.removeEventListener('abort', removed);
    cell.removeEventListener('abort', () => {});
    cell.abort();
    cell.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['kept']);
  });

  it('gives an AbortError as the reason when none is given, as AbortController does', () => {
    const cell = createAbortCell();
    cell.abort();
    expect(cell.reason).toBeInstanceOf(DOMException);
    expect((cell.reason as DOMException).name).toBe('AbortError');
  });

  it('runs every listener when one throws, and reports the error as uncaught', async () => {
    const cell = createAbortCell();
    const calls: string[] = [];
    const uncaught: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (error) => uncaught.push(error));
    try {
      cell.addEventListener('abort', () => {
        throw new Error('listener broke');
      });
      cell.addEventListener('abort', () => calls.push('after'));
      cell.abort();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
    expect(calls).toEqual(['after']);
    expect(uncaught).toHaveLength(1);
    expect((uncaught[0] as Error).message).toBe('listener broke');
  });

  it('takes the place of a real AbortSignal wherever a watch is asked for', () => {
    const controller = new AbortController();
    const watch: AbortWatch = controller.signal;
    const calls: string[] = [];
    watch.addEventListener('abort', () => calls.push('signal'), { once: true });
    controller.abort('done');
    expect(calls).toEqual(['signal']);
    expect(watch.reason).toBe('done');
  });
});

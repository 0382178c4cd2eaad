import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createRequestAbort } from './abort.js';
import type { AttemptEnd } from './attempt-end.js';
import { createFeed } from './sse-feed.js';

// A collection on demand, to see what the feed still holds; the flag only adds the `gc` global.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

type Pull = { text: string; last: boolean };

/** A feed over `pulls`, built in a frame of its own so that only the feed and the probes outlive it. */
function feedOver(pulls: Pull[]) {
  const request = createRequestAbort(new AbortController().signal, 60_000);
  const abort = request.forAttempt(true);
  const ends: AttemptEnd[] = [];
  const source = {
    next: async () => pulls.shift() ?? { text: '', last: true },
    close: async () => {},
  };
  const feed = createFeed<Pull>({
    source,
    first: { text: 'first ', last: false },
    abort,
    judge: () => ({ kind: 'aborted', cause: 'request_timeout' }),
    onEnd: (end) => ends.push(end),
    render: (pull) => ({ text: pull.text, ...(pull.last ? { end: { kind: 'ok', status: 200 } } : {}) }),
    closingText: () => 'closing',
  });
  return { feed, abort, ends, request, source: new WeakRef(source) };
}

async function readAll(feed: ReturnType<typeof feedOver>['feed']): Promise<string> {
  let text = '';
  for (;;) {
    const read = await feed.read();
    if (read === undefined) return text;
    text += read.text;
    if (read.last) return text;
  }
}

describe('an SSE feed', () => {
  it('reads the first pull, then the source, and settles the attempt once at the end', async () => {
    const { feed, ends, request } = feedOver([
      { text: 'b ', last: false },
      { text: 'end', last: true },
    ]);
    expect(feed.claim()).toBe(true);
    expect(feed.claim()).toBe(false);
    expect(await readAll(feed)).toBe('first b end');
    expect(await feed.read()).toBeUndefined();
    expect(ends).toEqual([{ kind: 'ok', status: 200 }]);
    request.dispose();
  });

  it('lets go of the attempt once the stream ended, while its consumer still holds the feed', async () => {
    const { feed, source, request } = feedOver([{ text: 'end', last: true }]);
    await readAll(feed);
    // A WeakRef's target lives at least to the end of the job that made or read it.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
    expect(source.deref()).toBeUndefined();
    expect(feed.claim()).toBe(true);
    request.dispose();
  });

  it('gives an abort between reads its closing text, even to a consumer that arrives later', async () => {
    const { feed, abort, ends, request } = feedOver([{ text: 'never', last: true }]);
    abort.abort('first_byte_timeout');
    expect(ends).toEqual([{ kind: 'aborted', cause: 'request_timeout' }]);
    const closings: string[] = [];
    feed.onAbort((text) => closings.push(text));
    expect(closings).toEqual(['closing']);
    expect(await feed.read()).toBeUndefined();
    expect(ends).toHaveLength(1);
    request.dispose();
  });

  it('a consumer that leaves after the end no longer aborts the attempt', async () => {
    const { feed, abort, ends, request } = feedOver([{ text: 'end', last: true }]);
    await readAll(feed);
    feed.cancel();
    expect(abort.signal.aborted).toBe(false);
    expect(ends).toEqual([{ kind: 'ok', status: 200 }]);
    request.dispose();
  });
});

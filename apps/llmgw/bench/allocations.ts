// `pnpm bench:alloc`: what the gateway allocates per request, and where. Starts one gateway with the
// inspector on a loopback port, warms it up, then samples every allocation (V8's sampling heap
// profiler, keeping the samples of objects collected since) over `--requests` requests, four at a
// time, and prints the bytes per request in all and by allocating function. Allocation is what the
// scavenger pays for; CPU profiles spread it over whoever happens to trigger a collection.
//
//   pnpm bench:alloc [--requests=5000] [--warm=3000] [--stream] [--top=40]
import { Agent, WebSocket } from 'undici';
import { numberOption, readOptions } from './cli.js';
import { STREAM_BODY, sendOne, startRig } from './rig.js';

const TOOL = 'bench:alloc';
const values = readOptions(TOOL, {
  requests: { type: 'string', default: '5000' },
  warm: { type: 'string', default: '3000' },
  stream: { type: 'boolean', default: false },
  top: { type: 'string', default: '40' },
});
const requests = numberOption(TOOL, 'requests', values.requests, 100);
const warm = numberOption(TOOL, 'warm', values.warm, 0);
const top = numberOption(TOOL, 'top', values.top, 1);
const INSPECTOR_PORT = 9339;
const CALL_TIMEOUT_MS = 60_000;

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** One DevTools-protocol session over the inspector's WebSocket: `call` sends and awaits its answer. */
async function inspect(url: string) {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), {
      once: true,
    });
  });
  let lastId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  return {
    call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      lastId += 1;
      const id = lastId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${method}: no answer within 60 s`)),
          CALL_TIMEOUT_MS,
        );
        waiting.set(id, (result) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(result);
        });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => socket.close(),
  };
}

/** Bytes allocated by each function (its own allocations, not its callees'), summed over the tree. */
function bytesByFunction(head: SamplingNode): Map<string, number> {
  const bytes = new Map<string, number>();
  const pending = [head];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/.*node_modules\/(\.pnpm\/)?/, '').replace(/.*\/dist\/bin\//, '');
    const name = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    pending.push(...node.children);
  }
  return bytes;
}

async function main() {
  const rig = await startRig([{ name: 'alloc', nodeArgs: [`--inspect=127.0.0.1:${INSPECTOR_PORT}`] }]);
  const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  try {
    const [hop] = rig.gateways;
    if (hop === undefined) throw new Error('the rig started no gateway');
    const body = values.stream ? STREAM_BODY : hop.target.body;
    const one = () => sendOne(hop.target, body, agent);
    const send = async (count: number) => {
      for (let sent = 0; sent < count; sent += 4) await Promise.all([one(), one(), one(), one()]);
    };
    const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error('the gateway offers no inspector target');
    const session = await inspect(url);
    await session.call('HeapProfiler.enable');
    await send(warm);
    await session.call('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await send(requests);
    const { profile } = (await session.call('HeapProfiler.stopSampling')) as {
      profile: { head: SamplingNode };
    };
    session.close();
    const bytes = bytesByFunction(profile.head);
    const total = [...bytes.values()].reduce((sum, value) => sum + value, 0);
    const mode = values.stream ? 'stream' : 'JSON';
    process.stdout.write(`${mode}: ${(total / requests).toFixed(0)} bytes allocated per request\n`);
    process.stdout.write('bytes/request  function (where it allocates)\n');
    for (const [name, value] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${(value / requests).toFixed(0).padStart(13)}  ${name}\n`);
    }
  } finally {
    await agent.close();
    await rig.stop();
  }
}

await main();

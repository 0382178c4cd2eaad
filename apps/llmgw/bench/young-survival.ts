// `pnpm bench:survival`: how much of the gateway's young generation survives each scavenge when
// requests come one at a time, JSON against streamed (the stream first-byte rows of `pnpm bench` are
// such a load). Each mode gets its own gateway with V8's --trace-gc-nvp; the figures are the medians
// of its last scavenges. A request's objects should die young: what survives is copied, then
// promoted, and only a mark-compact frees it, so a high survival costs long scavenges and frequent
// full collections (docs/design/conductor.md, "What a streamed request leaves behind").
//
//   pnpm bench:survival [--requests=5000] [--warm=500] [--bundle=<a copy of llmgw.mjs beside it>]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent } from 'undici';
import { numberOption, readOptions, usage } from './cli.js';
import { median } from './open-loop.js';
import { STREAM_BODY, sendOne, startRig } from './rig.js';

const TOOL = 'bench:survival';
const values = readOptions(TOOL, {
  requests: { type: 'string', default: '5000' },
  warm: { type: 'string', default: '500' },
  bundle: { type: 'string' },
});
const requests = numberOption(TOOL, 'requests', values.requests, 100);
const warm = numberOption(TOOL, 'warm', values.warm, 0);
const bundle = values.bundle === undefined ? undefined : resolve(values.bundle);
if (bundle !== undefined && !existsSync(bundle)) usage(TOOL, `--bundle: no file at ${bundle}`);
// The last scavenges of the measured requests: the first ones of a process still carry start-up.
const LAST_SCAVENGES = 10;

interface Survival {
  mode: string;
  scavenges: number;
  survivedKb: number;
  pauseMs: number;
  markCompacts: number;
  /** Every pause (scavenges and full collections) over the measured requests, per request. */
  gcUsPerRequest: number;
}

/** One `key=value` number of a --trace-gc-nvp line. */
function field(line: string, name: string): number {
  return Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? Number.NaN);
}

async function measure(mode: 'json' | 'stream'): Promise<Survival> {
  const rig = await startRig([
    {
      name: mode,
      nodeArgs: ['--trace-gc-nvp'],
      env: { LOG_LEVEL: 'warn' },
      ...(bundle === undefined ? {} : { bundle }),
    },
  ]);
  try {
    const [hop] = rig.gateways;
    if (hop === undefined) throw new Error('the rig started no gateway');
    const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
    // The rig's own target body is the JSON request; the stream one differs only in `stream: true`.
    const body = mode === 'stream' ? STREAM_BODY : hop.target.body;
    const send = async (count: number) => {
      for (let index = 0; index < count; index += 1) await sendOne(hop.target, body, agent);
    };
    await send(warm);
    const before = hop.child.output().filter((line) => line.includes('gc=')).length;
    await send(requests);
    await agent.close();
    const lines = hop.child
      .output()
      .filter((line) => line.includes('gc='))
      .slice(before);
    const scavenges = lines.filter((line) => /\bgc=s\b/.test(line)).slice(-LAST_SCAVENGES);
    return {
      mode,
      scavenges: scavenges.length,
      survivedKb: median(scavenges.map((line) => field(line, 'new_space_survived') / 1024)),
      pauseMs: median(scavenges.map((line) => field(line, 'pause'))),
      markCompacts: lines.filter((line) => /\bgc=mc\b/.test(line)).length,
      gcUsPerRequest: (lines.reduce((sum, line) => sum + (field(line, 'pause') || 0), 0) * 1000) / requests,
    };
  } finally {
    await rig.stop();
  }
}

const rows = [await measure('json'), await measure('stream')];
process.stdout.write(`${requests} requests one at a time after ${warm} to warm up, per mode\n`);
process.stdout.write(
  'mode     survived per scavenge (KB, median)  scavenge pause (ms, median)  mark-compacts  GC pause per request (µs)\n',
);
for (const row of rows) {
  process.stdout.write(
    `${row.mode.padEnd(9)}${row.survivedKb.toFixed(0).padEnd(36)}${row.pauseMs.toFixed(1).padEnd(29)}` +
      `${String(row.markCompacts).padEnd(15)}${row.gcUsPerRequest.toFixed(1)}` +
      `${row.scavenges < LAST_SCAVENGES ? `  (only ${row.scavenges} scavenges)` : ''}\n`,
  );
}

// `pnpm bench:compare`: variants of the gateway side by side, to tell whether a change helps. On a
// shared 2-core machine two consecutive runs of the same build differ by more than most changes
// (the bare proxy alone drifts by a third from one minute to the next), so every variant, the bare
// proxy and the direct baseline take turns second by second in one fixed-rate schedule, and each
// hop's CPU per request is read from the kernel's counters, which move far less than a p99.
//
//   pnpm bench:compare --variant=now --variant=before:bundle=apps/llmgw/dist/bin/before.mjs
//   pnpm bench:compare --variant=info --variant='warn:LOG_LEVEL=warn' --rate=500 --rounds=4
//   pnpm bench:compare --variant=now --variant=before:bundle=… --stream=200   (adds the stream's first byte)
//
// A variant is `name[:item,item…]`; an item is `bundle=<path to a copy of llmgw.mjs>` (beside it, so
// that its imports resolve), `node=<flag>` (repeatable) or `NAME=value` for the gateway's environment.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { usage as fail, numberOption, readOptions } from './cli.js';
import { type LatencySummary, median, openLoopAlternating, streamFirstByteAlternating } from './open-loop.js';
import { type GatewaySpec, type Hop, STREAM_BODY, startRig } from './rig.js';
import { countCores, type PerRequest } from './schedstat.js';

const TOOL = 'bench:compare';
const usage = (message: string): never => fail(TOOL, message);
const number = (name: string, text: string, least: number) => numberOption(TOOL, name, text, least);

const values = readOptions(TOOL, {
  variant: { type: 'string', multiple: true, default: ['gateway'] },
  rate: { type: 'string', default: '500' },
  seconds: { type: 'string', default: '20' },
  rounds: { type: 'string', default: '3' },
  warm: { type: 'string', default: '30' },
  stream: { type: 'string', default: '0' },
});
const rate = number('rate', values.rate, 1);
const seconds = number('seconds', values.seconds, 1);
const rounds = number('rounds', values.rounds, 1);
// TurboFan was still optimising 4-40 functions every 2 s through the first minute of load at
// 500 req/s (--trace-opt): without a warm-up, a variant measured first pays for the compiler.
const warmSeconds = number('warm', values.warm, 0);
// Stream requests per hop and round, sent one at a time after the fixed-rate rounds; 0 = none.
const streamCount = number('stream', values.stream, 0);

/** `name[:item,item…]` as a gateway spec; an unknown item shape is an error, not ignored. */
function parseVariant(text: string): GatewaySpec {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (name === '') usage(`--variant "${text}": the name before ":" is empty`);
  const spec: GatewaySpec = { name, env: {}, nodeArgs: [] };
  if (colon < 0) return spec;
  for (const item of text.slice(colon + 1).split(',')) {
    const equals = item.indexOf('=');
    if (equals <= 0) usage(`--variant "${text}": "${item}" is not NAME=value`);
    const key = item.slice(0, equals).trim();
    const value = item.slice(equals + 1);
    if (key === 'bundle') spec.bundle = resolve(value);
    else if (key === 'node') spec.nodeArgs?.push(value);
    else if (spec.env) spec.env[key] = value;
  }
  return spec;
}

interface HopResult {
  name: string;
  /** Added over direct, per round (ms). */
  addedP50: number[];
  addedP99: number[];
  failed: number;
  cores: PerRequest | null;
  /** The stream's first byte added over direct, p50 per round (ms); empty without --stream. */
  firstByteP50: number[];
}

function added(runs: readonly LatencySummary[], base: readonly LatencySummary[], pick: 'p50' | 'p99') {
  return runs.map((run, index) => run[pick] - (base[index]?.[pick] ?? Number.NaN));
}

async function main() {
  const specs = (values.variant ?? []).map(parseVariant);
  const names = new Set(specs.map((spec) => spec.name));
  if (names.size !== specs.length) usage('every --variant needs a name of its own');
  const rig = await startRig(specs);
  try {
    const hops: Hop[] = [...rig.gateways, rig.bare];
    const targets = [rig.direct, ...hops.map((hop) => hop.target)];
    if (warmSeconds > 0) await openLoopAlternating(targets, rate, (warmSeconds * 1000) / targets.length);
    const coresSince = await countCores(hops.map((hop) => hop.child.process.pid));
    const perRound: LatencySummary[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      perRound.push(await openLoopAlternating(targets, rate, seconds * 1000));
    }
    const column = (index: number) => perRound.map((round) => round[index] as LatencySummary);
    const direct = column(0);
    const total = (runs: readonly LatencySummary[], pick: (run: LatencySummary) => number) =>
      runs.reduce((sum, run) => sum + pick(run), 0);
    const cores = await coresSince(hops.map((_, index) => total(column(index + 1), (run) => run.sent)));
    const results: HopResult[] = hops.map((hop, index) => {
      const runs = column(index + 1);
      return {
        name: hop.name,
        addedP50: added(runs, direct, 'p50'),
        addedP99: added(runs, direct, 'p99'),
        failed: total(runs, (run) => run.failed),
        cores: cores[index] ?? null,
        firstByteP50: [],
      };
    });
    // After the CPU counters are read: these requests come one at a time, not at the rate.
    for (let round = 0; streamCount > 0 && round < rounds; round += 1) {
      const streams = targets.map((target) => ({ ...target, body: STREAM_BODY }));
      const [base, ...perHop] = await streamFirstByteAlternating(streams, streamCount);
      for (const [index, summary] of perHop.entries()) {
        results[index]?.firstByteP50.push(summary.p50 - (base?.p50 ?? Number.NaN));
      }
    }
    print(results);
    await mkdir('output', { recursive: true });
    await writeFile(
      'output/compare.json',
      `${JSON.stringify({ at: new Date().toISOString(), rate, seconds, rounds, streamCount, variants: specs, results }, null, 2)}\n`,
    );
    process.stdout.write('written output/compare.json\n');
  } finally {
    await rig.stop();
  }
}

function print(results: readonly HopResult[]) {
  const ms = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(', ');
  const us = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(0));
  const rows = [
    [
      'hop',
      'added p50 (ms, median)',
      'added p99 (ms, median)',
      'p99 each round',
      'CPU/req (µs)',
      'wait/req (µs)',
      'slices/req',
      'failed',
      ...(streamCount > 0 ? ['first byte added p50 (ms, median)'] : []),
    ],
    ...results.map((result) => [
      result.name,
      median(result.addedP50).toFixed(3),
      median(result.addedP99).toFixed(3),
      ms(result.addedP99),
      us(result.cores?.cpuUs),
      us(result.cores?.waitUs),
      result.cores ? result.cores.slices.toFixed(2) : '–',
      String(result.failed),
      ...(streamCount > 0 ? [median(result.firstByteP50).toFixed(3)] : []),
    ]),
  ];
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  '));
  process.stdout.write(
    `${rate} req/s, ${rounds} rounds of ${seconds} s per hop, direct and every hop in turn each second\n${lines.join('\n')}\n`,
  );
}

await main();

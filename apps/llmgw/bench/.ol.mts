import { Agent, request } from 'undici';
const [url, rateArg, secsArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 500); const secs = Number(secsArg ?? 8);
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
const body = JSON.stringify({ model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench-key-0000-xxxxxxxx' };
const lat: [number, number][] = [];
const start = process.hrtime.bigint(); const iv = BigInt(Math.round(1e9 / rate)); const total = rate * secs; const infl: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const sch = start + iv * BigInt(i); const now = process.hrtime.bigint();
  if (sch > now) { const w = Number(sch - now) / 1e6; if (w >= 1) await new Promise((r) => setTimeout(r, Math.floor(w))); }
  infl.push(request(url, { method: 'POST', headers, body, dispatcher: agent }).then(async (r) => { await r.body.text(); lat.push([Number(sch - start) / 1e6, Number(process.hrtime.bigint() - sch) / 1e6]); }));
}
await Promise.all(infl); await agent.close();
const sorted = lat.map((x) => x[1]).sort((a, b) => a - b);
const p = (f: number) => sorted[Math.ceil(f * sorted.length) - 1]!.toFixed(2);
console.log('p50', p(0.5), 'p90', p(0.9), 'p99', p(0.99), 'max', sorted.at(-1)!.toFixed(1));
const slow = lat.filter((x) => x[1] > 4).sort((a, b) => a[0] - b[0]);
let prev = -1e9; const bursts: string[] = [];
for (const [t, l] of slow) { if (t - prev > 50) bursts.push(`@${(t / 1000).toFixed(2)}s ${l.toFixed(1)}ms`); prev = t; }
console.log('slow bursts', bursts.length, bursts.join(' | '));

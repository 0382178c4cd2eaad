// The physical limit of one Node hop: a bare forwarding proxy on undici with keep-alive, nothing else.
// The benchmark compares the gateway's throughput against this, in the same run on the same machine.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

const [portArg, upstreamArg] = process.argv.slice(2);
const upstream = upstreamArg ?? 'http://127.0.0.1:8790';
const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

const server = createServer(async (incoming, outgoing) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
    }
    const response = await request(`${upstream}${incoming.url ?? '/'}`, {
      method: (incoming.method ?? 'GET') as 'GET' | 'POST',
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : null,
      dispatcher: agent,
    });
    const outHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (
        typeof value === 'string' &&
        name !== 'connection' &&
        name !== 'keep-alive' &&
        name !== 'transfer-encoding'
      ) {
        outHeaders[name] = value;
      }
    }
    outgoing.writeHead(response.statusCode, outHeaders);
    await pipeline(response.body, outgoing);
  } catch {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `bare proxy listening on ${typeof address === 'object' && address ? address.port : ''}\n`,
  );
});

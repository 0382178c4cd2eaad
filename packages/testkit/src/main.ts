import { parseArgs } from 'node:util';
import { createForwardProxy } from './forward-proxy.js';
import { describeKeyPrefixes } from './key-prefixes.js';
import { createTestUpstream } from './server.js';

/**
 * Standalone test upstream for demos and manual tries: `pnpm --filter @llmgw/testkit start`.
 * Behaviour comes from the key's prefix (see README), so nothing needs configuring.
 */
const { values } = parseArgs({
  // `pnpm start -- --port 1` passes the `--` through; drop it so the options after it still count.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    port: { type: 'string', default: process.env.TESTKIT_PORT ?? '8790' },
    host: { type: 'string', default: process.env.TESTKIT_HOST ?? '127.0.0.1' },
    'proxy-port': { type: 'string', default: process.env.TESTKIT_PROXY_PORT ?? '8791' },
    'no-proxy': { type: 'boolean', default: false },
  },
});

const upstream = await createTestUpstream({ port: Number(values.port), host: values.host });
const proxy = values['no-proxy']
  ? undefined
  : await createForwardProxy({ port: Number(values['proxy-port']), host: values.host });

const lines = [
  `testkit upstream listening on ${upstream.url}`,
  `  OpenAI-like  ${upstream.url}/v1  (any prefix ending in /chat/completions, /embeddings, /models)`,
  `  Gemini       ${upstream.url}/v1beta/models/{model}:generateContent`,
  `  GigaChat     OAuth ${upstream.url}/api/v2/oauth, API ${upstream.url}/api/v1`,
  `  Anthropic    ${upstream.url}/v1/messages`,
  proxy ? `forward proxy on ${proxy.url}` : 'forward proxy disabled',
  'key prefixes:',
  ...describeKeyPrefixes().map((line) => `  ${line}`),
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([upstream.close(), proxy?.close()]);
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

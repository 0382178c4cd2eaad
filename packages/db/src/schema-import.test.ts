import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const run = promisify(execFile);

describe('importing @llmgw/db/schema', () => {
  let server: Server;
  let connections = 0;
  let port = 0;
  beforeAll(async () => {
    // A fake Postgres that only counts: any connection attempt from the import is a failure.
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('opens no connection and leaves the process free to exit', async () => {
    const url = `postgres://postgres@127.0.0.1:${port}/x`;
    const script =
      "const s = await import('@llmgw/db/schema'); console.log(Object.keys(s).sort().join(','));";
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: url, PGHOST: '127.0.0.1', PGPORT: String(port) },
      // The process must exit on its own: an open socket or pool would keep it alive past this.
      timeout: 15_000,
    });
    expect(stdout).toContain('triples');
    expect(stdout).toContain('attempts');
    expect(connections).toBe(0);
    expect(existsSync(join(packageDir, 'data'))).toBe(false);
  });
});

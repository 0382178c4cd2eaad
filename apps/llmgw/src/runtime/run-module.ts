import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Tests: runs `code` as an ES module in a fresh Node process (its own heap and loop); answers what it printed. */
export async function runModule(code: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code],
    { timeout: 30_000 },
  );
  return stdout.trim();
}

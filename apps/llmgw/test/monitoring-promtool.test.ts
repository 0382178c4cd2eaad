import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/*
 * Prometheus' own checker on the shipped rules (Debian's `prometheus` package provides promtool;
 * .ci/run installs it): the rules must load, and their unit tests (alerts/llm_gateway.test.yml: each
 * alert fires on a synthetic outage and stays quiet on healthy series) must pass.
 */

const run = promisify(execFile);
const PROMETHEUS_DIR = fileURLToPath(new URL('../../../monitoring/prometheus/', import.meta.url));

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: PROMETHEUS_DIR });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: Number(failed.code ?? 1), output: `${failed.stdout ?? ''}${failed.stderr ?? failed}` };
  }
}

describe('promtool on monitoring/prometheus', () => {
  it('accepts the alert rules', async () => {
    const result = await promtool('check', 'rules', 'alerts/llm_gateway.yml');
    expect(result.output).toContain('SUCCESS: 8 rules found');
    expect(result.code).toBe(0);
  });

  it('passes the alert unit tests: every alert fires on its outage and not on healthy traffic', async () => {
    const result = await promtool('test', 'rules', 'alerts/llm_gateway.test.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('accepts the example scrape configuration', async () => {
    const result = await promtool('check', 'config', 'prometheus.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });
});

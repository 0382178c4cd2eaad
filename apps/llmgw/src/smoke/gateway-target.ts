import type { LlmgwConfig } from '@llmgw/config';
import { LlmgwError } from '@llmgw/core';

export interface GatewayTarget {
  url: string;
  token: string | undefined;
}

/** The gateway to call: `--url`, else the config's gateway.host/port (a wildcard bind is reached on loopback). */
export function gatewayTarget(
  config: LlmgwConfig,
  options: { url?: string | undefined; token?: string | undefined },
): GatewayTarget {
  const token = options.token ?? config.gateway.auth_tokens[0];
  if (options.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new LlmgwError(
        `--url expects the gateway's base URL like http://127.0.0.1:8080, got "${options.url}"`,
      );
    }
    return { url: parsed.toString().replace(/\/+$/, '').replace(/\/v1$/, ''), token };
  }
  const { host, port } = config.gateway;
  if (port === 0) {
    throw new LlmgwError(
      'gateway.port is 0 (any free port), so the smoke cannot know where the gateway listens: pass --url http://host:port',
    );
  }
  const reachable =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return { url: `http://${reachable}:${port}`, token };
}

/** Node's fetch hides the socket error under `cause`; this digs out the code an operator recognises. */
export function networkCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fails (the smoke cannot run: exit 2) unless the gateway answers `/healthz` and accepts the token;
 * so a stopped gateway reads as one clear message, not a failing verdict for every provider.
 */
export async function checkGateway(target: GatewayTarget, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${target.url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new LlmgwError(
      `the gateway at ${target.url} is not reachable (${networkCause(error)}): start it with \`llmgw start\` ` +
        '(keeper and gateway in one process) or `llmgw gateway`, or point --url at a running one',
    );
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new LlmgwError(
      `the gateway at ${target.url} answers /healthz with ${response.status}: is it an llmgw gateway?`,
    );
  }
  let models: Response;
  try {
    models = await fetch(`${target.url}/v1/models`, {
      headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new LlmgwError(`the gateway at ${target.url} stopped answering (${networkCause(error)})`);
  }
  await models.body?.cancel();
  if (models.status === 401) {
    throw new LlmgwError(
      `the gateway at ${target.url} refused ${target.token ? 'the token' : 'a call without a token'} (401): ` +
        'pass --token, or set LLMGW_AUTH_TOKENS (or gateway.auth_tokens) to one of the gateway’s tokens',
    );
  }
}

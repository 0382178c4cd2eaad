import { isPlainObject, type PlainObject, setOwn } from './merge.js';
import { GATEWAY_MODES, LOG_LEVELS } from './schema-primitives.js';

/** A snapshot of environment variables: everything else receives this, never `process.env`. */
export type Environment = Readonly<Record<string, string>>;

export type PathSegment = string | number;

/** A problem before it is located in the file. */
export interface RawIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/**
 * The only place in llmgw that reads `process.env`. Everything downstream gets the snapshot, so
 * tests pass their own environment and nothing changes behind the config's back.
 */
export function readEnvironment(): Environment {
  const snapshot: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined) snapshot[name] = value;
  }
  return Object.freeze(snapshot);
}

/** DATABASE_URL, or undefined for the embedded database. Blank counts as unset (`DATABASE_URL=` in compose files). */
export function databaseUrl(env: Environment): string | undefined {
  const value = env.DATABASE_URL?.trim();
  return value ? value : undefined;
}

const REFERENCE = /\$(\$)?\{([^}]*)(\})?/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const WHOLE_REFERENCE = /^\$\{[^}]*\}$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (not in keys); `$${` is a literal `${`.
 * An unset variable without a default is a problem at the value's path. A value that is exactly one
 * reference and expands to a number or boolean becomes one, so `port: ${PORT:-8080}` works.
 */
export function substituteEnv(
  value: unknown,
  env: Environment,
  path: readonly PathSegment[],
  issues: RawIssue[],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, path, issues);
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnv(item, env, [...path, index], issues));
  if (isPlainObject(value)) {
    const result: PlainObject = {};
    for (const [key, inner] of Object.entries(value))
      setOwn(result, key, substituteEnv(inner, env, [...path, key], issues));
    return result;
  }
  return value;
}

function substituteString(
  text: string,
  env: Environment,
  path: readonly PathSegment[],
  issues: RawIssue[],
): unknown {
  if (!text.includes('${')) return text;
  let problem = false;
  const replaced = text.replace(
    REFERENCE,
    (match, escaped: string | undefined, inner: string, close: string | undefined) => {
      if (escaped) return match.slice(1);
      const reference = INNER.exec(inner);
      if (!close || !reference?.[1]) {
        issues.push({
          path,
          message: `malformed reference ${JSON.stringify(match)}: use \${VAR} or \${VAR:-default}`,
        });
        problem = true;
        return match;
      }
      const name = reference[1];
      const fallback = reference[2];
      const current = env[name];
      if (current !== undefined && (current !== '' || fallback === undefined)) return current;
      if (fallback !== undefined) return fallback;
      issues.push({
        path,
        message: `environment variable ${name} is not set (set it, add it to .env beside the config, or write \${${name}:-default})`,
      });
      problem = true;
      return '';
    },
  );
  if (problem || !WHOLE_REFERENCE.test(text)) return replaced;
  return coerceScalar(replaced);
}

function coerceScalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/**
 * The documented variables, turned into a patch applied over the file (environment wins).
 * Problems are reported under the variable's name so the operator knows where to look.
 */
export function environmentOverrides(env: Environment): { patch: PlainObject; issues: RawIssue[] } {
  const issues: RawIssue[] = [];
  const gateway: PlainObject = {};
  const patch: PlainObject = {};
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const url = databaseUrl(env);
  if (url) patch.database = { url };
  const host = read('LLMGW_HOST');
  if (host) gateway.host = host;
  const port = read('LLMGW_PORT');
  if (port !== undefined) {
    const parsed = Number(port);
    if (/^\d+$/.test(port) && parsed <= 65535) gateway.port = parsed;
    else
      issues.push({
        path: ['LLMGW_PORT'],
        message: `expected a port number 0-65535, got ${JSON.stringify(port)}`,
      });
  }
  const authTokens = read('LLMGW_AUTH_TOKENS');
  if (authTokens) gateway.auth_tokens = splitList(authTokens);
  const adminTokens = read('LLMGW_ADMIN_TOKENS');
  if (adminTokens) gateway.admin_tokens = splitList(adminTokens);
  const mode = read('LLM_GATEWAY_MODE')?.toLowerCase();
  if (mode !== undefined) {
    if (isOneOf(mode, GATEWAY_MODES)) gateway.mode = mode;
    else
      issues.push({
        path: ['LLM_GATEWAY_MODE'],
        message: `expected one of: ${GATEWAY_MODES.join(', ')}; got ${JSON.stringify(mode)}`,
      });
  }
  const level = read('LOG_LEVEL')?.toLowerCase();
  if (level !== undefined) {
    if (isOneOf(level, LOG_LEVELS)) patch.logging = { level };
    else
      issues.push({
        path: ['LOG_LEVEL'],
        message: `expected one of: ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(level)}`,
      });
  }
  if (Object.keys(gateway).length > 0) patch.gateway = gateway;
  return { patch, issues };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

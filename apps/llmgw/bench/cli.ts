// What the bench scripts share on their command line: options read with node:util's parseArgs, and
// a usage mistake reported as its message alone (no stack trace) with exit code 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Reports a usage mistake of `tool` and exits with code 2. */
export function usage(tool: string, message: string): never {
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(2);
}

/** The options of `tool`'s command line; an unknown or malformed one is a usage mistake. */
export function readOptions<const Options extends NonNullable<ParseArgsConfig['options']>>(
  tool: string,
  options: Options,
) {
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    return usage(tool, error instanceof Error ? error.message : String(error));
  }
}

/** A numeric option of at least `least`. */
export function numberOption(tool: string, name: string, text: string, least: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < least) {
    usage(tool, `--${name} must be a number of at least ${least}, got "${text}"`);
  }
  return value;
}

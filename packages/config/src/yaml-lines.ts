import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './env.js';

/**
 * The line of a YAML path in the operator's file, or of its nearest ancestor that exists there:
 * a problem in a value that came from a template points at the provider that uses the template.
 * Keys are located at the key (where the operator typed it), list items at the item.
 */
export function findLine(
  root: unknown,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
): number | undefined {
  let node: unknown = root;
  let line: number | undefined;
  for (const segment of path) {
    const step = stepInto(node, segment);
    if (!step) break;
    line = lineOf(step.at, lineCounter) ?? line;
    node = step.value;
  }
  return line;
}

function stepInto(node: unknown, segment: PathSegment): { at: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    return pair ? { at: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node)) {
    // Model lists are addressed by name after the loader turns them into maps.
    const item =
      typeof segment === 'number'
        ? node.items[segment]
        : node.items.find((entry) => isScalar(entry) && String(entry.value) === segment);
    return item === undefined ? undefined : { at: item, value: item };
  }
  return undefined;
}

function lineOf(node: unknown, lineCounter: LineCounter): number | undefined {
  const offset = isNode(node) ? node.range?.[0] : undefined;
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}

/** `providers.groq.limits.rpm`, `models.fast[1]`: how every problem names its place. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${segment}` : segment;
  }
  return text;
}

/** The yaml library's message without its code frame: "… at line 4, column 3". */
export function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:\s*$/, '');
}

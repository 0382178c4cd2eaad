/**
 * Reads Prometheus text exposition (what `/metrics` serves) back into samples: for tests, and for any
 * tool that wants the gateway's figures without a Prometheus (e.g. a smoke report).
 */

export interface Sample {
  /** The sample's own name (`…_bucket`, `…_sum`, `…_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family → its `# TYPE` (counter, gauge, histogram…). */
  types: Map<string, string>;
  /** The value of the one sample with exactly these labels (undefined when absent). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export function readExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      if (name !== undefined && type !== undefined) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    samples.push(parseSample(line));
  }
  return {
    samples,
    types,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      const match = samples.find(
        (sample) =>
          sample.name === name &&
          Object.keys(sample.labels).length === wanted.length &&
          wanted.every(([key, value]) => sample.labels[key] === value),
      );
      return match?.value;
    },
  };
}

function parseSample(line: string): Sample {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace === -1 || (space !== -1 && space < brace)) {
    const [name = '', value = ''] = line.split(' ');
    return { name, labels: {}, value: parseValue(value) };
  }
  const name = line.slice(0, brace);
  const labels: Record<string, string> = {};
  let at = brace + 1;
  while (line[at] !== '}') {
    const equals = line.indexOf('=', at);
    if (equals === -1) throw new Error(`malformed labels in: ${line}`);
    const key = line.slice(at, equals);
    at = equals + 2; // past `="`
    let value = '';
    while (line[at] !== '"') {
      if (line[at] === '\\') {
        const next = line[at + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        at += 2;
      } else {
        value += line[at];
        at += 1;
      }
      if (at >= line.length) throw new Error(`unterminated label value in: ${line}`);
    }
    labels[key] = value;
    at += 1;
    if (line[at] === ',') at += 1;
  }
  const rest = line
    .slice(at + 1)
    .trim()
    .split(' ');
  return { name, labels, value: parseValue(rest[0] ?? '') };
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    // prom-client writes NaN as `Nan` (e.g. the event-loop lag before its first measurement);
    // Prometheus parses floats case-insensitively, and so do we.
    if (text.toLowerCase() === 'nan') return Number.NaN;
    throw new Error(`not a sample value: ${text}`);
  }
  return value;
}

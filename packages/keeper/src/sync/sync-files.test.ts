import { describe, expect, it } from 'vitest';
import { parseKeyFile } from './key-file.js';
import { pinProxy } from './pinning.js';
import { maskProxyUrl, parseProxyFile } from './proxy-file.js';

describe('parseKeyFile', () => {
  it('trims, skips blanks and comments, collapses duplicates and keeps line numbers', () => {
    const text = '# groq keys\n\n  gsk_first_key_000001  \r\ngsk_second_key_00002\ngsk_first_key_000001\n';
    expect(parseKeyFile(text)).toEqual({
      keys: [
        { secret: 'gsk_first_key_000001', line: 3 },
        { secret: 'gsk_second_key_00002', line: 4 },
      ],
      malformed: [],
    });
  });

  it('reports a malformed line with its number and loads the rest', () => {
    const result = parseKeyFile(
      'gsk_good_key_0000001\ngsk bad key with spaces\nshort\ngsk_good_key_0000002\n',
    );
    expect(result.keys.map((key) => key.line)).toEqual([1, 4]);
    expect(result.malformed.map((problem) => problem.line)).toEqual([2, 3]);
  });

  it('never quotes a malformed line back', () => {
    const result = parseKeyFile('sk-secret-part one\n');
    expect(JSON.stringify(result.malformed)).not.toContain('sk-secret');
  });

  it('reads a bucket annotation', () => {
    expect(parseKeyFile('AIzaSyExampleKey000001 # bucket=project-a\n').keys).toEqual([
      { secret: 'AIzaSyExampleKey000001', line: 1, bucket: 'project-a' },
    ]);
    expect(parseKeyFile('AIzaSyExampleKey000001 # bucket=\n').malformed).toHaveLength(1);
  });

  it('keeps base64 GigaChat authorization keys whole', () => {
    const key = 'MDE5YmFhZDQtZmQ0Zi03YjY0LTg3ZWQtZGVhZGJlZWYwMDAwOmFiYw==';
    expect(parseKeyFile(`${key}\n`).keys[0]?.secret).toBe(key);
  });
});

describe('parseProxyFile', () => {
  it('normalises host:port to http and keeps credentials', () => {
    const result = parseProxyFile('10.0.0.1:3128\nhttp://user:pa%40ss@10.0.0.2:8080\n# comment\n');
    expect(result.proxies).toEqual([
      { url: 'http://10.0.0.1:3128', line: 1 },
      { url: 'http://user:pa%40ss@10.0.0.2:8080', line: 2 },
    ]);
  });
  it('reports unsupported schemes and missing ports by line', () => {
    const result = parseProxyFile('socks5://10.0.0.1:1080\nhttp://10.0.0.3\nnot a url at all\n');
    expect(result.proxies).toEqual([]);
    expect(result.malformed.map((problem) => problem.line)).toEqual([1, 2, 3]);
  });
  it('masks credentials for display', () => {
    expect(maskProxyUrl('http://user:secret@10.0.0.2:8080')).toBe('http://***@10.0.0.2:8080');
  });
});

describe('pinProxy', () => {
  const proxies = ['p1', 'p2', 'p3', 'p4'];
  const keys = Array.from({ length: 400 }, (_, index) => `fingerprint-${index}`);

  it('is stable for the same inputs and spreads keys over every proxy', () => {
    const pins = keys.map((key) => pinProxy(key, proxies));
    expect(keys.map((key) => pinProxy(key, proxies))).toEqual(pins);
    for (const proxy of proxies) expect(pins.filter((pin) => pin === proxy).length).toBeGreaterThan(50);
  });

  it('moves only the keys of a proxy that went bad', () => {
    const before = keys.map((key) => pinProxy(key, proxies));
    const after = keys.map((key) => pinProxy(key, ['p1', 'p2', 'p4']));
    keys.forEach((_, index) => {
      if (before[index] !== 'p3') expect(after[index]).toBe(before[index]);
      else expect(after[index]).not.toBe('p3');
    });
  });

  it('returns null with no healthy proxy', () => {
    expect(pinProxy('k', [])).toBeNull();
  });
});

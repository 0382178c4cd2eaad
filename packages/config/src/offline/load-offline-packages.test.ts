import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import {
  checkOfflinePackages,
  checkOfflinePackageTexts,
  loadOfflinePackages,
  normalizeOfflineText,
  offlinePackagesDir,
} from './load-offline-packages.js';

const check = (text: string, file = 'faq.yaml') => checkOfflinePackageTexts([{ file, text }]);

describe('offline packages', () => {
  it('loads answers and embeddings with where each was written', () => {
    const report = check(
      [
        'description: help desk',
        'answers:',
        '  - match: What is llmgw?',
        '    answer: A gateway.',
        '  - contains: refund',
        '    model: [gpt-4o-mini, fast]',
        '    answer: No refunds.',
        '  - regex: "^hel+o"',
        '    flags: i',
        '    answer: Hi.',
        'embeddings:',
        '  - input: hello',
        '    vector: [0.5, -1, 2e-3]',
        '',
      ].join('\n'),
    );
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    const { answers, embeddings, files } = report.packages;
    expect(files).toEqual(['faq.yaml']);
    expect(answers.map((answer) => answer.answer)).toEqual(['A gateway.', 'No refunds.', 'Hi.']);
    expect(answers[0]).toMatchObject({ match: 'What is llmgw?', model: [] });
    expect(answers[1]).toMatchObject({ contains: 'refund', model: ['gpt-4o-mini', 'fast'] });
    expect(answers[2]?.source).toEqual({ file: 'faq.yaml', path: 'answers[2]', line: 8 });
    expect(embeddings[0]).toMatchObject({ input: 'hello', vector: [0.5, -1, 0.002], model: [] });
  });

  it('names file, YAML path and line of every problem at once', () => {
    const report = check(
      [
        'answers:',
        '  - match: hi',
        '    anwser: typo',
        '  - regex: "(unclosed"',
        '    answer: x',
        '  - answer: no matcher',
        '  - match: a',
        '    contains: b',
        '    answer: two matchers',
        'embeddings:',
        '  - input: x',
        '    vector: [1, two]',
        '',
      ].join('\n'),
      '/srv/config/offline/broken.yaml',
    );
    const lines = report.errors.map((issue) => `${issue.file}:${issue.line} ${issue.path}: ${issue.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\/srv\/config\/offline\/broken\.yaml:3 answers\[0\]\.anwser: unknown key "anwser" \(did you mean "answer"\?\)$/,
        ),
        expect.stringMatching(
          /^\/srv\/config\/offline\/broken\.yaml:2 answers\[0\]\.answer: required but missing/,
        ),
        expect.stringMatching(/:4 answers\[1\]\.regex: invalid regular expression/),
        expect.stringMatching(/:6 answers\[2\]: needs one of match, contains or regex$/),
        expect.stringMatching(
          /:8 answers\[3\]\.contains: use only one of match, contains or regex \(got match and contains\)$/,
        ),
        expect.stringMatching(/:12 embeddings\[0\]\.vector\[1\]: expected a number$/),
      ]),
    );
    expect(report.errors).toHaveLength(6);
    expect(report.packages.answers).toEqual([]);
  });

  it('reports invalid YAML with its line, and refuses to load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmgw-offline-'));
    writeFileSync(join(dir, 'bad.yaml'), 'answers:\n  - match: "open\n    answer: x\n');
    const report = checkOfflinePackages(dir);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({
      file: join(dir, 'bad.yaml'),
      message: expect.stringMatching(/^invalid YAML/),
    });
    expect(report.errors[0]?.line).toBeGreaterThan(0);
    expect(() => loadOfflinePackages(dir)).toThrow(ConfigError);
    expect(() => loadOfflinePackages(dir)).toThrow(/bad\.yaml:\d+: invalid YAML/);
  });

  it('rejects vectors of different sizes for one model across files, and warns about shadowed entries', () => {
    const report = checkOfflinePackageTexts([
      {
        file: 'a.yaml',
        text: 'answers:\n  - match: Hello  there\n    answer: one\nembeddings:\n  - input: x\n    vector: [1, 2]\n',
      },
      {
        file: 'b.yaml',
        text: 'answers:\n  - match: hello there\n    answer: two\nembeddings:\n  - input: y\n    vector: [1, 2, 3]\n',
      },
    ]);
    expect(report.errors).toEqual([
      {
        file: 'b.yaml',
        line: 5,
        path: 'embeddings[0]',
        message: 'vector has 3 dimensions, but a.yaml:5 embeddings[0] gives 2 for entries without a model',
      },
    ]);
    expect(report.warnings).toEqual([
      {
        file: 'b.yaml',
        line: 2,
        path: 'answers[0]',
        message: 'never used: a.yaml:2 answers[0] already answers this message',
      },
    ]);
  });

  it('treats a missing directory as no packages and reads only yaml files, in name order', () => {
    expect(checkOfflinePackages(join(tmpdir(), 'llmgw-no-such-dir')).packages.files).toEqual([]);
    const root = mkdtempSync(join(tmpdir(), 'llmgw-offline-'));
    const dir = offlinePackagesDir(join(root, 'providers.yaml'));
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.yml'), 'answers:\n  - match: b\n    answer: B\n');
    writeFileSync(join(dir, 'a.yaml'), 'answers:\n  - match: a\n    answer: A\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a package');
    const report = loadOfflinePackages(dir);
    expect(report.packages.files).toEqual(['a.yaml', 'b.yml']);
    expect(report.packages.answers.map((answer) => answer.answer)).toEqual(['A', 'B']);
  });

  it('normalises exact messages by case and whitespace only', () => {
    expect(normalizeOfflineText('  What  is\nLLMGW? ')).toBe('what is llmgw?');
    expect(normalizeOfflineText('what is llmgw')).not.toBe(normalizeOfflineText('what is llmgw?'));
  });
});

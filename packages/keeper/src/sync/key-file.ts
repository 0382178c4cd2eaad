import { withoutBom } from '@llmgw/core';
/** One key as read from a key file; the secret stays in memory and in the database only. */
export interface KeyLine {
  secret: string;
  line: number;
  /** Quota bucket named on the line (`<key> # bucket=<name>`), overriding the file's. */
  bucket?: string;
}

export interface MalformedLine {
  line: number;
  problem: string;
}

export interface ParsedKeyFile {
  keys: KeyLine[];
  malformed: MalformedLine[];
}

const BUCKET_ANNOTATION = /^bucket\s*=\s*([\w.-]+)$/;
// Printable ASCII without whitespace: what every provider's keys (and GigaChat's base64 authorization keys) are made of.
const KEY_SHAPE = /^[\x21-\x7e]+$/;
const MIN_KEY_LENGTH = 8;

/**
 * Parses a key file (SPEC §3): one key per line, blank lines and `#` comments ignored, whitespace
 * trimmed, duplicates collapsed (first line wins). A malformed line is reported and skipped — never
 * quoted back, since it may be most of a secret.
 */
export function parseKeyFile(text: string): ParsedKeyFile {
  const keys: KeyLine[] = [];
  const malformed: MalformedLine[] = [];
  const seen = new Set<string>();
  const lines = withoutBom(text).split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const hash = trimmed.search(/\s#/);
    const secret = (hash === -1 ? trimmed : trimmed.slice(0, hash)).trim();
    const comment = hash === -1 ? '' : trimmed.slice(hash).replace(/^\s*#\s*/, '');
    if (!KEY_SHAPE.test(secret)) {
      malformed.push({
        line,
        problem: 'a key must be one word of printable characters (spaces or control characters found)',
      });
      return;
    }
    if (secret.length < MIN_KEY_LENGTH) {
      malformed.push({ line, problem: `too short to be a key (under ${MIN_KEY_LENGTH} characters)` });
      return;
    }
    const annotation = comment === '' ? null : BUCKET_ANNOTATION.exec(comment);
    if (comment !== '' && annotation === null && comment.startsWith('bucket')) {
      malformed.push({
        line,
        problem: 'bucket annotation must look like "# bucket=<name>" (letters, digits, . _ -)',
      });
      return;
    }
    if (seen.has(secret)) return;
    seen.add(secret);
    keys.push(annotation?.[1] ? { secret, line, bucket: annotation[1] } : { secret, line });
  });
  return { keys, malformed };
}

/** Long unbroken runs of key-ish characters: anything that could be a secret echoed back by an upstream. */
const SECRET_LIKE = /[A-Za-z0-9_\-+/=]{32,}/g;

/**
 * An upstream's error text made safe for logs, the audit log and the caller: one line, bounded,
 * and with anything that looks like a credential cut out (some upstreams echo the key they got).
 */
export function summarize(text: string | undefined, max = 240): string {
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ').trim().replace(SECRET_LIKE, '[redacted]');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

import { randomBytes } from 'node:crypto';

/** An opaque id in the style of the surface it is for (`resp_…`, `msg_…`, `fc_…`, `toolu_…`). */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

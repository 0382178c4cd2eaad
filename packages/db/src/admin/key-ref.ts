import { eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys } from '../schema.js';

export interface KeyRef {
  keyId: number;
  provider: string;
  mask: string;
  disabled: boolean;
  removed: boolean;
}

/** A key by id, without its secret: what an admin action needs to know before it acts. */
export async function findKeyRef(db: Db, keyId: number): Promise<KeyRef | null> {
  const [row] = await db
    .select({
      keyId: keys.id,
      provider: keys.provider,
      mask: keys.mask,
      disabled: keys.disabled,
      removedAt: keys.removedAt,
    })
    .from(keys)
    .where(eq(keys.id, keyId));
  if (!row) return null;
  return {
    keyId: row.keyId,
    provider: row.provider,
    mask: row.mask,
    disabled: row.disabled,
    removed: row.removedAt !== null,
  };
}

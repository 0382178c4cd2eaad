import { type Db, windowStart } from '@llmgw/db';
import { type RateWindowKind, rateWindows } from '@llmgw/db/schema';
import { sql } from 'drizzle-orm';

export interface ProbeBudget {
  tripleId: number;
  now: number;
  rpm: number | null;
  rpd: number | null;
}

export type Reservation = { ok: true } | { ok: false; window: RateWindowKind };

/**
 * A probe is a request like any other (SPEC §6: "the same rate limits as real traffic"): it takes one
 * request from the triple's minute and day windows, or is refused when either is full. Both windows are
 * charged in one transaction so a refusal by the day window leaves the minute window untouched.
 */
export async function reserveProbeRequest(db: Db, budget: ProbeBudget): Promise<Reservation> {
  let refused: RateWindowKind | null = null;
  try {
    await db.transaction(async (tx) => {
      for (const [kind, limit] of [
        ['minute', budget.rpm],
        ['day', budget.rpd],
      ] as const) {
        const at = new Date(budget.now);
        const charged = await tx
          .insert(rateWindows)
          .values({
            tripleId: budget.tripleId,
            kind,
            windowStart: new Date(windowStart(kind, budget.now)),
            requests: 1,
            updatedAt: at,
          })
          .onConflictDoUpdate({
            target: [rateWindows.tripleId, rateWindows.kind, rateWindows.windowStart],
            set: { requests: sql`${rateWindows.requests} + 1`, updatedAt: at },
            ...(limit === null ? {} : { setWhere: sql`${rateWindows.requests} < ${limit}` }),
          })
          .returning({ requests: rateWindows.requests });
        if (charged.length === 0 || (limit !== null && limit < 1)) {
          refused = kind;
          // Throws drizzle's rollback error: the minute window charged just before is given back.
          tx.rollback();
        }
      }
    });
    return { ok: true };
  } catch (error) {
    if (refused !== null) return { ok: false, window: refused };
    throw error;
  }
}

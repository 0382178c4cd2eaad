import type { PoolView, TripleEntry } from './types.js';
import { deriveEntry } from './view.js';

/** A local observation outlives a failed write for this long (the database is down, the evidence is not). */
const FAILED_WRITE_KEEP_MS = 60_000;

/**
 * What this replica has seen but Postgres may not show yet (a 429 written a moment ago). Re-applied to
 * every refreshed view until a refresh that started after the write settled — otherwise a refresh racing
 * the write would hand the triple that just said 429 straight back.
 */
interface Overlay {
  matches(entry: TripleEntry): boolean;
  apply(entry: TripleEntry): void;
  /** Refresh number current when the write settled; Infinity while it is in flight or failed. */
  settledAt: number;
  expiresAt: number;
}

export interface Overlays {
  /** Applies `change` to the matching entries of the view now and of later views until settled. */
  add(
    view: PoolView,
    matches: (entry: TripleEntry) => boolean,
    apply: (entry: TripleEntry) => void,
    now: number,
  ): Overlay;
  /** The write behind it is in Postgres: the next refresh that starts after now shows it. */
  settled(overlay: Overlay, refreshNo: number): void;
  /** The write failed: keep the local view of it for a while, the database will be told later or never. */
  failed(overlay: Overlay, now: number): void;
  /** Re-applies to a freshly built view, dropping overlays the view already reflects. */
  reapply(view: PoolView, refreshNo: number, now: number): void;
}

export function createOverlays(): Overlays {
  const live = new Set<Overlay>();
  const applyTo = (view: PoolView, overlay: Overlay) => {
    for (const entry of view.byId.values()) {
      if (!overlay.matches(entry)) continue;
      overlay.apply(entry);
      deriveEntry(entry);
    }
  };
  return {
    add(view, matches, apply, now) {
      const overlay: Overlay = {
        matches,
        apply,
        settledAt: Number.POSITIVE_INFINITY,
        expiresAt: now + FAILED_WRITE_KEEP_MS,
      };
      live.add(overlay);
      applyTo(view, overlay);
      return overlay;
    },
    settled(overlay, refreshNo) {
      overlay.settledAt = refreshNo;
    },
    failed(overlay, now) {
      overlay.expiresAt = now + FAILED_WRITE_KEEP_MS;
    },
    reapply(view, refreshNo, now) {
      for (const overlay of live) {
        if (overlay.settledAt < refreshNo || overlay.expiresAt <= now) {
          live.delete(overlay);
          continue;
        }
        applyTo(view, overlay);
      }
    },
  };
}

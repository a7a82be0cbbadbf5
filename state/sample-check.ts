import { StoreError } from './errors.js';
import type { SampleCommit, TrainingSample } from './training-sample-store.js';

const NUMBERS = ['ts', 'labeledTs', 'forwardReturn', 'netReturnBps'] as const;

/** Why `s` cannot be stored, or undefined when it can. */
function problemOf(s: TrainingSample): string | undefined {
  for (const k of NUMBERS) if (!Number.isFinite(s[k])) return `${k} is ${String(s[k])}, not a finite number`;
  if (!Number.isSafeInteger(s.horizonBars) || s.horizonBars <= 0) return `horizonBars is ${String(s.horizonBars)}, not a whole number of bars above 0`;
  // A label known at or before its decision would pass `labeledBefore` as if it were known in time: look-ahead.
  if (s.labeledTs <= s.ts) return `labeledTs ${s.labeledTs} is not after its decision time ts ${s.ts} (a label cannot be known before the decision it measures)`;
  return undefined;
}

/**
 * Refuses a commit the stores must not keep, before anything is written (both stores, the same
 * rule; PostgreSQL's CHECK constraints say the same of rows written by other means): a sample
 * labeled at or before its decision time, one with no horizon, a time or return that is not a
 * finite number, a snapshot whose event time is not one. A non-retryable `StoreError` naming the
 * sample; nothing of the commit is stored.
 */
export function checkSampleCommit(c: SampleCommit): void {
  for (const s of c.samples) {
    const p = problemOf(s);
    if (p !== undefined) throw new StoreError(`training sample ${s.id} (${s.strategy} ${s.venue} ${s.symbol}) refused: ${p}`, false);
  }
  if (c.snapshot !== undefined && !Number.isFinite(c.snapshot.ts)) {
    throw new StoreError(`labeling snapshot of ${c.snapshot.actor} refused: its event time ts is ${String(c.snapshot.ts)}, not a finite number`, false);
  }
}

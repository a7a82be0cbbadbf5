import type { ListedModelVersion } from '../registry/model-registry.js';
import type { TriggerReason } from './triggers.js';

/** A retraining cycle as its challenger's lineage records it (`fitChallenger`: `details.retraining.trigger`, `details.labels.strategy`). */
export type CycleIdentity = Readonly<{ strategy: string; trigger: TriggerReason; ts: number; seq?: number }>;

const recordOf = (x: unknown): Readonly<Record<string, unknown>> | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);

/**
 * Whether `v` is a challenger fitted for this cycle: its registry details name the same
 * strategy and the same trigger (kind, detail, the event time the cycle started at and the cycle's
 * number, `seq`). A version without that lineage (`sextant train`, an operator's upload, another
 * strategy's actor) is not. The number tells apart two cycles with the same trigger at the same
 * event time (an operator triggering twice with the same reason, no label in between): before, the
 * second took the first's challenger, deployed and rolled back meanwhile, for its own left over by
 * a restart, and took it again or rejected it as superseded. A cycle of an older snapshot (no
 * number) matches versions fitted without one, as before.
 */
export function isCycleChallenger(v: Pick<ListedModelVersion, 'details'>, c: CycleIdentity): boolean {
  const trigger = recordOf(recordOf(v.details['retraining'])?.['trigger']);
  const labels = recordOf(v.details['labels']);
  return trigger !== undefined && labels?.['strategy'] === c.strategy && trigger['kind'] === c.trigger.kind && trigger['detail'] === c.trigger.detail && trigger['ts'] === c.ts && trigger['cycle'] === c.seq;
}

/**
 * Whether `v` is a challenger a retraining actor of `strategy` fitted (its lineage names a
 * retraining trigger and that strategy's labels), of whichever cycle. A version registered by
 * `sextant train`, an operator's upload or another strategy's actor is not.
 */
export function isStrategyChallenger(v: Pick<ListedModelVersion, 'details'>, strategy: string): boolean {
  return recordOf(recordOf(v.details['retraining'])?.['trigger']) !== undefined && recordOf(v.details['labels'])?.['strategy'] === strategy;
}

/**
 * The highest cycle number the registry records for `strategy`'s challengers (their lineage,
 * `details.retraining.trigger.cycle`), 0 when none: where an actor started without its snapshot
 * (deleted, or a new host sharing the registry) numbers its cycles on from. Before, it numbered
 * them from 1 again, and its first cycle, triggered with the same reason at the same event time as
 * an earlier actor's first (an operator's trigger before any label: event time 0), took that
 * cycle's challenger for one its own fit had left before a restart: rejected as superseded, or
 * taken again. Read from the registry's state alone: the same registry numbers alike.
 */
export function lastRecordedCycle(versions: readonly Pick<ListedModelVersion, 'details'>[], strategy: string): number {
  let last = 0;
  for (const v of versions) {
    const cycle = recordOf(recordOf(v.details['retraining'])?.['trigger'])?.['cycle'];
    if (recordOf(v.details['labels'])?.['strategy'] === strategy && typeof cycle === 'number' && Number.isSafeInteger(cycle)) last = Math.max(last, cycle);
  }
  return last;
}

/**
 * The versions a restart left of this cycle, still open: fitted for it (`isCycleChallenger`),
 * not rejected and not production (someone deployed it: theirs, and production cannot be rejected).
 * Nothing is committed during a batch, so an actor stopped between its challenger's registration
 * and its shadow run restarts from the cycle's `collecting` snapshot and fits it again; these are
 * what the earlier fits registered.
 */
export function openCycleChallengers(versions: readonly ListedModelVersion[], c: CycleIdentity): ListedModelVersion[] {
  return versions.filter((v) => !v.rejected && !v.aliases.includes('production') && isCycleChallenger(v, c));
}

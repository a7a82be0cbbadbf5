import type { RetrainingCounters, RetrainingRollback } from '../models/retraining/retraining-snapshot.js';
import { copyCounters } from '../models/retraining/retraining-snapshot.js';
import { mean } from '../models/retraining/scoring.js';
import type { RollbackWatch, ShadowStats, ShadowVerdictResult } from '../models/retraining/shadow-evaluation.js';
import { driftOf } from '../models/retraining/triggers.js';
import type { TriggerReason, TriggerState } from '../models/retraining/triggers.js';
import type { ModelVersionRef, RetrainingMachineContext, RetrainingPhase } from '../state/retraining-machine.js';

/** What `sextant ctl retrain status` shows of one retraining actor. */
export type RetrainingStatus = Readonly<{
  phase: RetrainingPhase;
  model: string;
  champion: ModelVersionRef | null;
  challenger: ModelVersionRef | null;
  trigger: TriggerReason | null;
  lastOutcome: string | null;
  /**
   * The numbers the last cycle's verdict was taken on (champion and challenger on the same labeled
   * predictions: mean log loss, hit rate, the t statistic) and the verdict, null when that cycle had no shadow
   * verdict (a failed or invalid fit, abandoned by a pause, deployed by someone else) or before any.
   */
  lastShadow: ShadowVerdictResult | null;
  /**
   * The last promotion this actor rolled back (its watch found it decayed), null before any:
   * `lastOutcome` says how the last cycle ended, so a promotion undone since is said here.
   */
  lastRollback: RetrainingRollback | null;
  pauseReason: string | null;
  /** The operator who paused it (null when not paused, or paused before this was kept). */
  pausedBy: string | null;
  /** The operator who ended the last pause (null while paused, before any resume, or resumed before this was kept). */
  resumedBy: string | null;
  /** Why the last pause was ended (`--reason`; null while paused, before any resume, when the resume gave none, or resumed before this was kept). */
  resumeReason: string | null;
  cycles: number;
  shadow: ShadowStats | null;
  watch: Omit<RollbackWatch, 'recent'> | null;
  /** Where the current chain of this actor's promotions started (the last production model it did not put there). */
  anchor: ModelVersionRef | null;
  triggers: Readonly<{ labelsSinceTrain: number; rollingLogLoss: number | null; rollingHitRate: number | null; maxPsi: number | null; adwinWidth: number }>;
  counters: RetrainingCounters;
  /**
   * Set by the supervisor (cli/supervised-retraining.ts) while a failed actor waits to be
   * replaced: the rest is the failed actor's last state, not the one a new actor resumes from.
   */
  restarting?: Readonly<{ error: string }>;
}>;

/** The status of a retraining actor from its state: the trigger state summarised, the watch without its recent losses. */
export function retrainingStatusOf(a: Readonly<{
  phase: RetrainingPhase;
  context: RetrainingMachineContext;
  model: string;
  champion: ModelVersionRef | null;
  shadow: ShadowStats | null;
  watch: RollbackWatch | null;
  anchor: ModelVersionRef | null;
  triggers: TriggerState;
  counters: RetrainingCounters;
  lastRollback: RetrainingRollback | null;
}>): RetrainingStatus {
  const { context: ctx, triggers } = a;
  const drift = Object.values(driftOf(triggers));
  let watch: Omit<RollbackWatch, 'recent'> | null = null;
  if (a.watch !== null) {
    const { recent: _recent, ...w } = a.watch;
    watch = w;
  }
  return {
    phase: a.phase,
    model: a.model,
    champion: a.champion,
    challenger: ctx.challenger,
    trigger: ctx.trigger,
    lastOutcome: ctx.lastOutcome,
    lastShadow: ctx.lastShadow ?? null,
    lastRollback: a.lastRollback,
    pauseReason: a.phase === 'paused' ? ctx.pauseReason : null,
    pausedBy: a.phase === 'paused' ? (ctx.pausedBy ?? null) : null,
    resumedBy: a.phase === 'paused' ? null : (ctx.resumedBy ?? null),
    resumeReason: a.phase === 'paused' ? null : (ctx.resumeReason ?? null),
    cycles: ctx.cycles,
    shadow: a.shadow,
    watch,
    anchor: a.anchor,
    triggers: {
      labelsSinceTrain: triggers.labelsSinceTrain,
      rollingLogLoss: triggers.losses.length > 0 ? mean(triggers.losses) : null,
      rollingHitRate: triggers.hits.length > 0 ? mean(triggers.hits) : null,
      maxPsi: drift.length > 0 ? Math.max(...drift) : null,
      adwinWidth: triggers.adwin.buckets.reduce((n, b) => n + b.n, 0),
    },
    counters: copyCounters(a.counters),
  };
}

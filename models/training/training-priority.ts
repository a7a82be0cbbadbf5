import { TrainingJobError } from './training-errors.js';

/**
 * The CPU priority of a background training job: `idle` (the default) runs it SCHED_IDLE, so it
 * takes a core only when the live path leaves one idle; `normal` runs it like any process, for a
 * machine with no live path to protect (an offline `sextant train` or backtest on a shared host,
 * where an idle trainer waits behind every busy process). It changes when a fit finishes, never
 * what it computes.
 */
export type TrainingPriority = 'idle' | 'normal';

/** The variable that sets the default priority of training jobs: `idle` or `normal`. */
export const TRAINING_PRIORITY_ENV = 'SEXTANT_TRAINING_PRIORITY';

/**
 * The default priority from `SEXTANT_TRAINING_PRIORITY` (unset or empty: `idle`); any other value
 * is refused, naming the two it takes, rather than read as the default.
 */
export function trainingPriorityFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TrainingPriority {
  const v = env[TRAINING_PRIORITY_ENV];
  if (v === undefined || v === '') return 'idle';
  if (v === 'idle' || v === 'normal') return v;
  throw new TrainingJobError(`${TRAINING_PRIORITY_ENV} must be idle or normal, got ${JSON.stringify(v)}`, false);
}

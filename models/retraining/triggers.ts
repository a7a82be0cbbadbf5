import { adwinAdd, createAdwin } from './adwin.js';
import type { AdwinState } from './adwin.js';
import { psi, psiReference } from './psi.js';
import type { PsiReference } from './psi.js';
import type { RetrainingConfig } from './retraining-config.js';
import { mean, pushCapped } from './scoring.js';

/** Why a retraining started. `operator` comes from `sextant ctl retrain trigger`. */
export type TriggerKind = 'schedule' | 'decay' | 'drift' | 'adwin' | 'operator';
export type TriggerReason = Readonly<{ kind: TriggerKind; detail: string }>;

/** The accumulators behind the automatic triggers; plain JSON (snapshotted). */
export type TriggerState = Readonly<{
  labelsSinceTrain: number;
  /** Event time of the last training (or of the first label seen), null before any label. */
  lastTrainTs: number | null;
  /** Production model's log loss and hits (1/0) over the last `decayWindow` labels. */
  losses: readonly number[];
  hits: readonly number[];
  adwin: AdwinState;
  /** A change ADWIN found since the last training (latched until then). */
  adwinChange: boolean;
  /** The last `psiWindow` feature rows (production model's columns, transformed, not standardised). */
  recent: readonly (readonly number[])[];
  /** Training-range reference per feature, or null until the actor sets one. */
  reference: Readonly<{ features: readonly string[]; refs: readonly PsiReference[] }> | null;
}>;

export type TriggerConfig = RetrainingConfig['triggers'];

export function createTriggerState(cfg: TriggerConfig): TriggerState {
  return { labelsSinceTrain: 0, lastTrainTs: null, losses: [], hits: [], adwin: createAdwin({ delta: cfg.adwinDelta > 0 ? cfg.adwinDelta : 0.002 }), adwinChange: false, recent: [], reference: null };
}

/** One labeled prediction of the production model, at event time `ts`. */
export type Observation = Readonly<{ ts: number; logLoss: number; hit: boolean; features: readonly number[] | null }>;

export function observe(s: TriggerState, o: Observation, cfg: TriggerConfig): TriggerState {
  const a = cfg.adwinDelta > 0 ? adwinAdd(s.adwin, o.hit ? 0 : 1) : { state: s.adwin, change: false };
  return {
    ...s,
    labelsSinceTrain: s.labelsSinceTrain + 1,
    lastTrainTs: s.lastTrainTs ?? o.ts,
    losses: pushCapped(s.losses, o.logLoss, cfg.decayWindow),
    hits: pushCapped(s.hits, o.hit ? 1 : 0, cfg.decayWindow),
    adwin: a.state,
    adwinChange: s.adwinChange || a.change,
    recent: o.features === null ? s.recent : pushCapped(s.recent, o.features, cfg.psiWindow),
  };
}

/** Sets the PSI reference from training-range rows (columns as in `features`). */
export function withReference(s: TriggerState, features: readonly string[], rows: readonly (readonly number[])[], cfg: TriggerConfig): TriggerState {
  if (rows.length === 0) return { ...s, reference: null };
  return { ...s, reference: { features, refs: features.map((_, j) => psiReference(rows.map((r) => r[j] as number), cfg.psiBins)) } };
}

/** PSI per feature of the recent window against the reference; empty until both exist. */
export function driftOf(s: TriggerState): Readonly<Record<string, number>> {
  if (s.reference === null || s.recent.length === 0) return {};
  const out: Record<string, number> = {};
  s.reference.features.forEach((f, j) => {
    out[f] = psi(s.reference?.refs[j] as PsiReference, s.recent.map((r) => r[j] as number));
  });
  return out;
}

/**
 * The first trigger that fires at event time `ts`, in a fixed order (schedule, decay, drift,
 * ADWIN), or null. Decay and drift are judged only over full windows.
 */
export function firedTrigger(s: TriggerState, ts: number, cfg: TriggerConfig): TriggerReason | null {
  if (cfg.everyLabels > 0 && s.labelsSinceTrain >= cfg.everyLabels) return { kind: 'schedule', detail: `${s.labelsSinceTrain} labels since the last training` };
  if (cfg.everyMs > 0 && s.lastTrainTs !== null && ts - s.lastTrainTs >= cfg.everyMs) return { kind: 'schedule', detail: `${ts - s.lastTrainTs} ms of event time since the last training` };
  if (s.losses.length >= cfg.decayWindow) {
    const ll = mean(s.losses);
    if (ll > cfg.maxLogLoss) return { kind: 'decay', detail: `rolling log loss ${ll.toFixed(4)} > ${cfg.maxLogLoss} over ${s.losses.length} labels` };
    const hr = mean(s.hits);
    if (cfg.minHitRate > 0 && hr < cfg.minHitRate) return { kind: 'decay', detail: `rolling hit rate ${hr.toFixed(4)} < ${cfg.minHitRate} over ${s.hits.length} labels` };
  }
  if (s.recent.length >= cfg.psiWindow) {
    const worst = Object.entries(driftOf(s)).sort((a, b) => b[1] - a[1])[0];
    if (worst !== undefined && worst[1] > cfg.psiThreshold) return { kind: 'drift', detail: `PSI of ${worst[0]} ${worst[1].toFixed(4)} > ${cfg.psiThreshold}` };
  }
  if (s.adwinChange) return { kind: 'adwin', detail: `ADWIN detected a change in the error rate (window now ${s.adwin.buckets.reduce((a, b) => a + b.n, 0)} labels)` };
  return null;
}

/**
 * After a training (whatever came of it) every accumulator starts again, so a decay that
 * outlives a rejected challenger needs a fresh full window before it can trigger again.
 */
export function afterTraining(s: TriggerState, ts: number, cfg: TriggerConfig): TriggerState {
  return { ...createTriggerState(cfg), lastTrainTs: ts, reference: s.reference };
}

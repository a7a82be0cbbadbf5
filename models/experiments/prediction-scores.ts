import type { SymbolBars } from '../training/bar-dataset.js';
import { buildBarDataset } from '../training/bar-dataset.js';
import { classificationMetrics } from '../training/classification-metrics.js';

/** The part of a published prediction that is scored: its bar, its class probabilities, its model. */
export type ScoredPrediction = Readonly<{ symbol: string; ts: number; probs: readonly [number, number, number]; model: string }>;

/** Realised direction class per `symbol|bar open time`. */
export type LabelIndex = ReadonlyMap<string, number>;

export const labelKey = (symbol: string, ts: number): string => `${symbol}|${ts}`;

/**
 * The realised direction of every bar in `[from, to)` by the training labels' rules
 * (models/training/direction-labels.ts through the training dataset builder: forward log return
 * over `horizon` bars against ±kAtr·ATR14, no label across a gap). Give the bars some history
 * before `from` (ATR warm-up) and `horizon` bars after `to` (the last labels' outcomes).
 */
export function realisedLabels(bars: readonly SymbolBars[], o: Readonly<{ horizon: number; kAtr: number; barMs: number; from: number; to: number }>): LabelIndex {
  const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
  const out = new Map<string, number>();
  for (let i = 0; i < ds.rows; i++) {
    const ts = ds.ts[i] as number;
    if (ts < o.from || ts >= o.to) continue;
    out.set(labelKey(ds.symbols[ds.symbolIndex[i] as number] as string, ts), ds.y[i] as number);
  }
  return out;
}

export type PredictionScores = Readonly<{
  /** Predictions published in the window. */
  predictions: number;
  /** Of them, with a realised label (the rest: horizon past the data, a gap, or no ATR yet). */
  scored: number;
  accuracy: number | null;
  logLoss: number | null;
  brier: number | null;
  /** Predictions per serving model, `name@version`. */
  byModel: Readonly<Record<string, number>>;
}>;

/**
 * Out-of-sample scores of predictions against their realised direction: accuracy (argmax), log
 * loss and Brier score over the predictions that have a label. Null scores when none has one.
 */
export function scorePredictions(preds: readonly ScoredPrediction[], labels: LabelIndex): PredictionScores {
  const probs: number[] = [];
  const y: number[] = [];
  const byModel: Record<string, number> = {};
  for (const p of preds) {
    byModel[p.model] = (byModel[p.model] ?? 0) + 1;
    const label = labels.get(labelKey(p.symbol, p.ts));
    if (label === undefined) continue;
    probs.push(...p.probs);
    y.push(label);
  }
  if (y.length === 0) return { predictions: preds.length, scored: 0, accuracy: null, logLoss: null, brier: null, byModel };
  const m = classificationMetrics(probs, y, 3);
  return { predictions: preds.length, scored: m.n, accuracy: m.accuracy, logLoss: m.logLoss, brier: m.brier, byModel };
}

import { COLLECT_STEP } from '../../actors/retraining-scoring.js';
import type { Config } from '../../config/schema.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import type { BarFile } from '../../gateways/data-dir.js';
import { countingBars } from './demo-warmup.js';

/** What the demo's window holds for its one retraining cycle, known before the replay: its bar files and the served model. */
export type LearningWindow = Readonly<{
  /** Each symbol's bars in the window (one per bar time, as the replay sends them). */
  bars: readonly number[];
  /** Bars of a symbol the model needs before its first prediction, made on the last of them (`barsBeforeFirstPrediction`). */
  warmup: number;
  /** Bars a prediction's label looks ahead: the model's horizon in bars of the replayed timeframe. */
  horizonBars: number;
  /** One bar of the replayed timeframe, ms. */
  barMs: number;
}>;

/** The demo cycle's sample counts (`learningSamples`): the labels the window gives, those kept back for after the fit, and the fit's. */
export type LearningSamples = Readonly<{
  /** Labeled predictions the window gives (`expectedLabels`). */
  expected: number;
  /** Labels kept back for after the fit, by what needs them; they come last in the window. */
  after: Readonly<{ collect: number; purge: number; shadow: number; watch: number }>;
  /** `training.minSamples`: the cycle fits once this many are labeled. */
  minSamples: number;
  /** `training.maxSamples`: at least `minSamples`, so the fit reads every sample it waited for. */
  maxSamples: number;
}>;

/**
 * The labeled predictions the window gives: each symbol predicts from the last of its `warmup`
 * bars on, one prediction a bar, and a prediction is labeled once the `horizonBars` bars after it
 * are in; the last `horizonBars` of a symbol's predictions have their horizon past the window.
 */
export function expectedLabels(w: LearningWindow): number {
  return w.bars.reduce((sum, n) => sum + labelsOf(n, w), 0);
}

const labelsOf = (bars: number, w: LearningWindow): number => Math.max(0, bars - (w.warmup - 1) - w.horizonBars);

/**
 * How many labeled predictions the demo's one cycle waits for before it fits (`--learn`). The demo
 * replays a fixed window, so the labels it gives are known before the replay (`expectedLabels`),
 * and the cycle fits once all of them are in but those it needs after the fit, which come last,
 * in event time:
 * - `collect`: labels handled before the actor counts its samples again (it does every
 *   `COLLECT_STEP` labels while collecting: actors/retraining-scoring.ts);
 * - `purge`: labels of predictions decided before the last training label was known (their
 *   horizon overlaps the training labels: the shadow skips them), `horizonBars + 1` bar times of
 *   each symbol;
 * - `shadow`: the `shadow.predictions` the verdict is taken on;
 * - `watch`: a promotion's rollback watch, `rollback.watchLabels` labels or `watchMs` of label
 *   time, whichever is more.
 * The watch comes last: where the window gives a few labels fewer than expected (a data gap
 * refuses the predictions it cuts), the watch is left short, not the shadow run. So the challenger
 * is fitted on the window's labels up to a week or so before its end (1h bars, three symbols: about
 * 96 % of them) and judged on the days after. Never below the configured `training.minSamples`: a
 * window too short for the whole tail fits on those as any cycle does, its watch (or shadow run)
 * cut short by the window's end, as the summary then says. `maxSamples` is raised to `minSamples`
 * where it is lower, so the fit reads the samples it waited for, not only the newest `maxSamples`.
 * Nothing here depends on what the models predict: only on the window's bars and the config.
 */
export function learningSamples(r: Pick<Config['retraining'], 'training' | 'shadow' | 'rollback'>, w: LearningWindow): LearningSamples {
  const symbols = w.bars.filter((n) => labelsOf(n, w) > 0).length;
  const expected = expectedLabels(w);
  const after = {
    collect: COLLECT_STEP,
    purge: (w.horizonBars + 1) * symbols,
    shadow: r.shadow.predictions,
    watch: Math.max(r.rollback.watchLabels, Math.ceil(r.rollback.watchMs / w.barMs) * symbols),
  };
  const minSamples = Math.max(r.training.minSamples, expected - after.collect - after.purge - after.shadow - after.watch);
  return { expected, after, minSamples, maxSamples: Math.max(r.training.maxSamples, minSamples) };
}

/**
 * Each symbol's bars in the window, counted from its bar files before the replay (as the replay
 * counts them: `countingBars`, one per bar time of a symbol), in `symbols`' order.
 */
export async function windowBars(files: readonly BarFile[], symbols: readonly string[], o: Readonly<{ venue: string; from: number; to: number }>): Promise<number[]> {
  const counts = new Map<string, number>();
  const sources = files.map((f) => readBars(f.path, { venue: o.venue, symbol: f.symbol, tf: f.timeframe, from: o.from, to: o.to }));
  for await (const b of countingBars(mergeByTime(...sources), counts)) void b;
  return symbols.map((s) => counts.get(s) ?? 0);
}

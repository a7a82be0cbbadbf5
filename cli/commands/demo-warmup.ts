import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { sequenceWindowOf } from '../../models/registry/sequence-window.js';

/**
 * Bars of one asset the served model needs before its first prediction: the features' warm-up
 * ({@link FEATURE_WARMUP_BARS}: the slowest bar feature, SMA and EMA over 200) and, for a
 * sequence model, the rest of its window. The demo replays only its window (no bars before it),
 * so a window shorter than this predicts nothing.
 */
export function barsBeforeFirstPrediction(model: Pick<ModelVersion, 'featureSpec' | 'details'>): number {
  return FEATURE_WARMUP_BARS + (sequenceWindowOf(model)?.steps ?? 1) - 1;
}

/**
 * `source` as it is, counting into `counts` each symbol's bars (a bar not later than the
 * symbol's previous one — two files of it that overlap — once: the asset actor refuses it).
 * `source` is in time order, as `mergeByTime` gives it.
 */
export async function* countingBars<T extends Readonly<{ symbol: string; ts: number }>>(source: AsyncIterable<T>, counts: Map<string, number>): AsyncGenerator<T> {
  const newest = new Map<string, number>();
  for await (const b of source) {
    if (b.ts > (newest.get(b.symbol) ?? Number.NEGATIVE_INFINITY)) {
      newest.set(b.symbol, b.ts);
      counts.set(b.symbol, (counts.get(b.symbol) ?? 0) + 1);
    }
    yield b;
  }
}

/** The demo summary's `warmup`: bars needed before the first prediction, and the symbols whose window held fewer. */
export type DemoWarmup = Readonly<{ needed: number; short: readonly Readonly<{ symbol: string; bars: number }>[] }>;

export function demoWarmup(symbols: readonly string[], counts: ReadonlyMap<string, number>, needed: number): DemoWarmup {
  return { needed, short: symbols.map((symbol) => ({ symbol, bars: counts.get(symbol) ?? 0 })).filter((s) => s.bars < needed) };
}

/** One line per symbol of `w.short`, for stderr: how many bars it had, how many it needs, which flag widens the window. */
export function warmupWarnings(w: DemoWarmup, o: Readonly<{ timeframe: string; from: number; to: number }>): string[] {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return w.short.map(
    (s) =>
      `${s.symbol}: ${s.bars} ${o.timeframe} bars in the window ${iso(o.from)} → ${iso(o.to)}, fewer than the ${w.needed} the model needs before its first prediction ` +
      `(the features' warm-up; the demo replays no bars before the window), so it predicted nothing; widen the window with an earlier --from (or a later --to)`,
  );
}

import type { AssetKey, FeatureReader } from '../state/feature-store.js';
import type { Logger } from '../state/logger.js';
import type { TimeseriesReader } from '../state/timeseries-store.js';
import { barId } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';

/** Where a sequence model's windows are primed from: the feature store's capped history, then the stored history. */
export type WindowSources = Readonly<{
  /** Recent vectors per asset (Redis): read first. */
  features?: Pick<FeatureReader, 'history'>;
  /**
   * Every vector stored (PostgreSQL `features`): read for an asset whose recent vectors hold fewer
   * than `steps` of the timeframe's bars (Redis restarted empty, or its cap shorter than the window).
   */
  timeseries?: Pick<TimeseriesReader, 'barFeatures'>;
}>;

export type WindowHistoryOptions = Readonly<{
  assets: readonly AssetKey[];
  /** The strategy's timeframe: only the vectors of its bars (what the decision path scores). */
  timeframe: string;
  /** Rows of the served model's window. */
  steps: number;
  /**
   * Bars past the newest a restart has decided that may be stored already and be scored again
   * (redelivered: recorded, not acknowledged): read from the stored history beyond `steps`, so
   * that the window behind the first of them is still full.
   */
  redelivered: number;
}>;

/** Most vectors read per asset from the feature store's history (its cap bounds it further). */
export const PRIME_HISTORY = 10_000;

/**
 * Each asset's history for a sequence model's windows: the vectors of bars of the timeframe only,
 * oldest first. From the feature store's recent vectors; where they hold fewer than `steps` such
 * bars, from the stored history too (the newest `steps + redelivered`, with the recent vectors
 * over them where both have a bar). An uninterrupted run's windows held exactly these vectors
 * (every vector is stored before its input is acknowledged), so the bars after a restart are
 * predicted as that run predicted them. A source that cannot be read is left out with a warning
 * (the windows then fill from the bars to come).
 */
export async function windowHistory(src: WindowSources, opts: WindowHistoryOptions, log: Logger): Promise<FeatureVector[]> {
  if (src.features === undefined && src.timeseries === undefined) return [];
  const tf = opts.timeframe;
  const isBar = (v: FeatureVector): boolean => v.source === barId(v.venue, v.symbol, tf, v.ts);
  const out: FeatureVector[] = [];
  let stored = 0;
  for (const a of opts.assets) {
    let recent: FeatureVector[] = [];
    if (src.features !== undefined) {
      try {
        // All of them, not only the newest `steps`: some may be scored again (redelivered after a restart).
        recent = (await src.features.history(a, PRIME_HISTORY)).filter(isBar).reverse();
      } catch (e) {
        log.warn({ venue: a.venue, symbol: a.symbol, err: String(e) }, 'cannot read the feature history; sequence windows fill from the stored history or new bars');
      }
    }
    if (recent.length >= opts.steps || src.timeseries === undefined) {
      out.push(...recent);
      continue;
    }
    let older: readonly FeatureVector[] = [];
    try {
      older = await src.timeseries.barFeatures({ venue: a.venue, symbol: a.symbol, tf, limit: opts.steps + opts.redelivered });
    } catch (e) {
      log.warn({ venue: a.venue, symbol: a.symbol, err: String(e) }, 'cannot read the stored feature vectors; sequence windows fill from new bars');
    }
    const byTs = new Map<number, FeatureVector>();
    for (const v of older) if (isBar(v)) byTs.set(v.ts, v);
    stored += byTs.size;
    for (const v of recent) byTs.set(v.ts, v);
    out.push(...[...byTs.values()].sort((x, y) => x.ts - y.ts));
  }
  log.info({ vectors: out.length, ...(stored > 0 ? { stored } : {}) }, 'sequence windows primed from the feature history');
  return out;
}

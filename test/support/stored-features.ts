import { FeatureEngine } from '../../models/features/feature-engine.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { Bar } from '../../streams/messages/bar.js';

/**
 * The feature vectors stored for `symbol` against those of one uninterrupted run of the feature
 * engine over `bars`: how many rows are stored, and how many feature values differ (by
 * `Object.is`, a warming-up feature being null on both sides).
 */
export async function storedFeatureMismatches(store: TimeseriesStore, venue: string, symbol: string, bars: readonly Bar[]): Promise<Readonly<{ rows: number; mismatches: number }>> {
  const reference = new FeatureEngine();
  const expected = new Map<number, Record<string, number | null>>();
  for (const bar of bars) {
    reference.onBar(bar);
    expected.set(bar.ts, reference.values());
  }
  const rows = await store.features({ venue, symbol });
  let mismatches = 0;
  for (const row of rows) {
    const want = expected.get(row.ts);
    for (const name of FeatureEngine.names) if (!Object.is(row.values[name] ?? null, want?.[name] ?? null)) mismatches++;
  }
  return { rows: rows.length, mismatches };
}

import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { bar, prediction, quote, SYMBOL, VENUE } from './fixtures.js';

const MIN = 60_000;

/** A bar's feature vector as the asset actor makes it: `spread_bps` is the feature engine's last quote's, however old. */
const vectorOf = (ts: number, spreadBps: number | null): FeatureVector => ({ type: 'feat.vector', v: 1, id: `f:${ts}`, venue: VENUE, symbol: SYMBOL, ts, source: `b:${ts}`, values: { spread_bps: spreadBps } });

/** An immediate policy's marketable limit crosses by half the spread + 5 bps, 10 bps assumed where none is known. */
const core = (quoteMaxAgeMs?: number) => createExecutionCore({ strategy: 's1', policy: immediatePolicy({ crossBps: 5, fallbackSpreadBps: 10 }), minQty: 0, ...(quoteMaxAgeMs === undefined ? {} : { quoteMaxAgeMs }) });

describe('the spread a child is priced with', () => {
  it('is the last quote’s only while it is recent: quotes that stopped while bars go on leave no spread (the policy’s fallback)', () => {
    const c = core();
    // One wide quote (40 bps), then only bars, each with its vector repeating that quote's spread.
    c.onMarket(quote(0, 99.8, 100.2));
    for (let t = 0; t <= 60 * MIN; t += MIN) {
      c.onMarket(bar(t, 100, 100, 100, 100, 10));
      c.onFeatures(vectorOf(t, 40));
    }
    // An hour later: before, the hour-old 40 bps still priced the limit (−25 bps); now the fallback's 10 (−10 bps).
    const [child] = c.onPrediction(prediction(60 * MIN, 1), 60 * MIN);
    expect(child?.limitOffsetBps).toBeCloseTo(-10, 9);
  });

  it('stands for quoteMaxAgeMs after its quote (default 60 s), from a quote or from a vector that carries a new value', () => {
    const c = core();
    c.onMarket(quote(0, 99.8, 100.2));
    c.onFeatures(vectorOf(0, 40));
    c.onMarket(bar(MIN, 100, 100, 100, 100, 10));
    c.onFeatures(vectorOf(MIN, 40)); // the same quote's spread again: it does not make it newer
    const [atLimit] = c.onPrediction(prediction(MIN, 1), MIN);
    expect(atLimit?.limitOffsetBps).toBeCloseTo(-25, 9); // 60 s old: still stands
    const later = core();
    later.onMarket(quote(0, 99.8, 100.2));
    const [past] = later.onPrediction(prediction(MIN + 1, 1), MIN + 1);
    expect(past?.limitOffsetBps).toBeCloseTo(-10, 9);
    // A core fed vectors only: a changed spread_bps is a new quote, known by the vector's time.
    const vectorsOnly = core();
    vectorsOnly.onFeatures(vectorOf(0, 40));
    vectorsOnly.onFeatures(vectorOf(2 * MIN, 20));
    vectorsOnly.onFeatures(vectorOf(3 * MIN, 20));
    const [fromVector] = vectorsOnly.onPrediction(prediction(3 * MIN, 1), 3 * MIN);
    expect(fromVector?.limitOffsetBps).toBeCloseTo(-15, 9);
    // quoteMaxAgeMs 0: only a spread of the same instant.
    const strict = core(0);
    strict.onMarket(quote(0, 99.8, 100.2));
    expect(strict.onPrediction(prediction(1, 1), 1)[0]?.limitOffsetBps).toBeCloseTo(-10, 9);
    expect(() => core(-1)).toThrow(RangeError);
  });
});

describe('a crossed quote', () => {
  it('leaves the spread as it was, as the paper venue does: a bid above the ask gives no negative spread that would pull the limit back', () => {
    const c = core();
    c.onMarket(quote(0, 99.8, 100.2)); // 40 bps
    c.onMarket(quote(1_000, 100.3, 99.7)); // crossed: −60 bps if taken
    const [child] = c.onPrediction(prediction(1_000, 1), 1_000);
    // The 40 bps quote still stands (−25 bps); before, −(−30 + 5) = +25 bps: a limit inside the book.
    expect(child?.limitOffsetBps).toBeCloseTo(-25, 9);
    const crossedOnly = core();
    crossedOnly.onMarket(quote(0, 100.3, 99.7));
    expect(crossedOnly.onPrediction(prediction(0, 1), 0)[0]?.limitOffsetBps).toBeCloseTo(-10, 9); // the fallback's 10 bps
  });
});

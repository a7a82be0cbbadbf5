import { EwmaVol } from '../features/ewma-vol.js';
import { fromJsonNumber, toJsonNumber } from '../features/json-number.js';
import { createBarSpreadEstimator } from './bar-spread.js';
import type { BarSpreadEstimator, SpreadModel } from './bar-spread.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import type { PaperVenueEstimatesState } from './paper-venue-snapshot.js';

/**
 * What the paper venue learned from one timeframe's bars of a symbol, the estimates its fills on
 * that timeframe are priced with: the last bar's volume and close, σ (EWMA of bar-close log
 * returns) and the bar spread estimator. The venue keeps one per timeframe it has seen, so a
 * timeframe that takes over (the 1m feed lapsing to 1h, and back) prices with its own estimates,
 * not cold ones.
 */
export type VenueEstimates = {
  /** Close of the newest bar learned from (−∞ none). */
  end: number;
  volume: number | null;
  vol: EwmaVol;
  prevClose: number;
  spread: BarSpreadEstimator;
};

/** The configuration the estimates are learned under (a σ decay or spread model that changed starts over). */
export type EstimateModel = Readonly<{ volLambda: number | undefined; spreadModel: SpreadModel }>;

export const coldEstimates = (m: EstimateModel): VenueEstimates => ({ end: Number.NEGATIVE_INFINITY, volume: null, vol: new EwmaVol(m.volLambda), prevClose: Number.NaN, spread: createBarSpreadEstimator(m.spreadModel) });

/** σ, the volume and the spread estimate learn from `bar`, which closes at `close`. */
export function learnBar(e: VenueEstimates, bar: Bar, close: number): void {
  if (close > e.end) e.end = close;
  e.volume = bar.volume;
  e.spread.update(bar);
  if (e.prevClose > 0) e.vol.update(Math.log(bar.close / e.prevClose));
  e.prevClose = bar.close;
}

/**
 * Before learning from a bar opening at `ts` after a hole in this timeframe's bars (the 1m feed
 * back after hours away): the return and the spread pair across the hole are not one bar's, so
 * they are not learned; σ, the spread ring and the volume go on. Used where a timeframe takes over
 * or learns beside the one filled on; the timeframe filled on learns across a hole of its own as it
 * always did.
 */
export function unpairAcrossHole(e: VenueEstimates, ts: number, m: EstimateModel): void {
  if (!(e.end < ts && Number.isFinite(e.end))) return;
  e.prevClose = Number.NaN;
  const s = e.spread.state();
  if (s !== null && s.prev !== null) e.spread = createBarSpreadEstimator(m.spreadModel, { ...s, prev: null });
}

export const estimatesState = (tf: Timeframe, e: VenueEstimates): PaperVenueEstimatesState => ({
  tf,
  end: toJsonNumber(e.end),
  volume: e.volume,
  vol: e.vol.toState(),
  prevClose: toJsonNumber(e.prevClose),
  spread: e.spread.state(),
});

/** Estimates stored with `estimatesState`; σ or a spread learned under another λ or spread model starts over. */
export function restoreEstimates(s: PaperVenueEstimatesState, m: EstimateModel): VenueEstimates {
  const e = coldEstimates(m);
  e.end = s.end ?? Number.NEGATIVE_INFINITY;
  e.volume = s.volume;
  if (s.vol.lambda === e.vol.lambda) e.vol = EwmaVol.fromState(s.vol);
  e.prevClose = fromJsonNumber(s.prevClose);
  e.spread = createBarSpreadEstimator(m.spreadModel, s.spread);
  return e;
}

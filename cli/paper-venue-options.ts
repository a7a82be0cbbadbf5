import type { Config } from '../config/schema.js';
import type { PaperVenueOptions } from '../models/execution/paper-venue-core.js';

/**
 * The paper venue `cfg` configures, for market data spaced `barMs` (the strategy's bar): fees,
 * spread (quoted, or its model), impact, volume share, latency, and the gap rule (data resuming after more
 * than one and a half bars is a hole: nothing fills across it; bars of the timeframe the venue reads,
 * where that is coarser: a 1m strategy's venue fallen back to 1h bars when the 1m feed lapsed). The engine's venue and a
 * backtest's baselines are built from this one function, so they pay the same costs.
 */
export function paperVenueOptions(cfg: Pick<Config, 'venue' | 'paperVenue'>, barMs: number): PaperVenueOptions {
  const pv = cfg.paperVenue;
  return {
    venue: cfg.venue,
    takerFeeBps: pv.takerFeeBps,
    makerFeeBps: pv.makerFeeBps,
    spreadBps: pv.spreadBps,
    slippage: { impactCoeff: pv.impactCoeff },
    maxVolumeShare: pv.maxVolumeShare,
    maxGapMs: 1.5 * barMs,
    maxGapBars: 1.5,
    latencyMs: pv.latencyMs,
    spreadModel: pv.spreadModel,
    quoteMaxAgeMs: pv.quoteMaxAgeMs,
  };
}

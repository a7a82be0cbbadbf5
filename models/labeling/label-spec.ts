import { z } from 'zod';

/**
 * Outcome classes on the return net of costs, in basis points of the direction-signed forward
 * log return: `net ≥ excellentBps` excellent, `≥ goodBps` good, `> poorBps` neutral, `> badBps`
 * poor, else bad. Thresholds must strictly decrease.
 */
export const ClassThresholdsSchema = z
  .object({
    excellentBps: z.number(),
    goodBps: z.number(),
    poorBps: z.number(),
    badBps: z.number(),
  })
  .strict()
  .refine((t) => t.excellentBps > t.goodBps && t.goodBps > t.poorBps && t.poorBps > t.badBps, {
    message: 'thresholds must strictly decrease: excellentBps > goodBps > poorBps > badBps',
  });
export type ClassThresholds = z.infer<typeof ClassThresholdsSchema>;

/**
 * The `labeling:` config section. Predictions are labeled over their own model's horizon
 * (`horizonMs`, rounded up to whole bars: a label on another horizon would train another
 * target); orders, which carry no horizon, over `horizonBars`.
 */
export const LabelSpecSchema = z
  .object({
    /** Horizon of order outcomes, in bars of the strategy's timeframe (predictions use their model's). */
    horizonBars: z.number().int().min(1).max(10_000),
    /** Take-profit barrier, in ATR-14 units at decision time, on the favourable side. */
    takeProfitAtr: z.number().positive(),
    /** Stop-loss barrier, in ATR-14 units at decision time, on the adverse side. */
    stopLossAtr: z.number().positive(),
    /**
     * Round-trip cost subtracted from the directional return before classing, bps: the only cost
     * netted, so it must hold fees both ways, the full spread and expected impact (the default 20
     * is the paper venue's taker fees alone; config/default.yaml).
     */
    costBps: z.number().nonnegative(),
    classThresholds: ClassThresholdsSchema,
    /** Recent bars kept in memory per asset for predictions that arrive late (older ones are read from the timeseries store). */
    retainBars: z.number().int().min(1).max(100_000),
    /**
     * An order is labeled this many bars after its horizon even when its fills are not known to be all in (no final fill, no
     * expiry whose `filledQty` the fills booked reach) and no later SIGNALS message was seen (counted on its asset's bars and on
     * the strategy's own predictions and orders of it, which a catching-up engine's fills are not behind). An expiry reporting fills still
     * to come holds it for them up to this, whatever later SIGNALS messages say.
     */
    fillGraceBars: z.number().int().min(0).max(10_000),
    /**
     * A prediction or order whose feature vector, or a bar of whose path (a data gap), or an order whose decision bar (its entry), is still not in the timeseries store this many bars after its horizon goes to the DLQ;
     * a missing vector (path bar) only once the store also holds a later vector (bar) of its asset this far past the horizon (the recorder got there without storing it: in a replay or a catch-up the bars run ahead of the recorder),
     * or once the strategy's predictions of its asset went `RECORDER_GONE_WAITS` (100) times this many bars past the horizon (the recorder stores nothing of it; actors/labeling-actor.ts).
     * So does one whose asset has had no bar up to its horizon when the strategy's newest bar of any asset is this many bars past it (a symbol that stopped trading; not while its bar consumer has messages left on the market-data stream).
     */
    featureWaitBars: z.number().int().min(0).max(10_000),
  })
  .strict();
export type LabelSpec = z.infer<typeof LabelSpecSchema>;

/** The defaults of `config/default.yaml`, for tests and embedded use. */
export const DEFAULT_LABEL_SPEC: LabelSpec = {
  horizonBars: 4,
  takeProfitAtr: 2,
  stopLossAtr: 1,
  costBps: 20,
  classThresholds: { excellentBps: 100, goodBps: 20, poorBps: -20, badBps: -100 },
  retainBars: 512,
  fillGraceBars: 1,
  featureWaitBars: 24,
};

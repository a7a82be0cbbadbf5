import { z } from 'zod';
import { TimeframeSchema } from '../../streams/messages/bar.js';
import { OrderSchema } from '../../streams/messages/order.js';

const WorkingSchema = z.object({
  order: OrderSchema,
  arrivalTs: z.number(),
  eligibleTs: z.number(),
  /** null: no price was known when it arrived (NaN in memory). */
  refMid: z.number().nullable(),
  remaining: z.number().positive(),
  filled: z.number().nonnegative(),
  n: z.number().int().nonnegative(),
  liquidity: z.enum(['maker', 'taker']).nullable(),
});

/** [symbol, newest event time known (null: none), time of its last event (null: none)]. */
const SymbolTimesSchema = z.array(z.tuple([z.string(), z.number().nullable(), z.number().nullable()]));

const SpreadModelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed') }),
  z.object({ kind: z.literal('range-fraction'), fraction: z.number(), window: z.number().int().positive().optional() }),
  z.object({ kind: z.literal('corwin-schultz'), window: z.number().int().positive().optional() }),
]);

/**
 * What the venue learned of one symbol's market, the estimates its fills are priced with: the
 * timeframe it fills on and the close of its newest bar, the last mid, the last bar's volume and close, σ (EWMA of bar-close log
 * returns), the bar spread estimator's state and the last quoted half spread with its time. Every
 * "none yet" is null (NaN or −∞ in memory).
 */
const BookStateSchema = z.object({
  symbol: z.string(),
  tf: TimeframeSchema.nullable(),
  /**
   * Close of the newest bar of `tf` (null: none): no bar of another timeframe opening before it is
   * filled on. Absent in a v2 snapshot stored before it was: the newest time known stands for it.
   */
  tfEnd: z.number().nullable().optional(),
  mid: z.number().nullable(),
  volume: z.number().nullable(),
  vol: z.object({ lambda: z.number().gt(0).lt(1), variance: z.number().nonnegative().nullable() }),
  prevClose: z.number().nullable(),
  /** null: the `fixed` model (nothing learned). */
  spread: z
    .object({
      model: SpreadModelSchema,
      ring: z.array(z.number()),
      next: z.number().int().nonnegative(),
      prev: z.object({ high: z.number(), low: z.number(), close: z.number() }).nullable(),
    })
    .nullable(),
  quotedHalf: z.number().nullable(),
  quotedTs: z.number().nullable(),
});
export type PaperVenueBookState = z.infer<typeof BookStateSchema>;

/** Written by f0dc1d5 and until v2: working orders and symbol times only (no `v`). */
const V1Schema = z.object({ v: z.undefined().optional(), working: z.array(WorkingSchema), symbols: SymbolTimesSchema });
/** v2 adds each symbol's price-model estimates (`books`), so fills after a restart are priced as without one. */
const V2Schema = z.object({ v: z.literal(2), working: z.array(WorkingSchema), symbols: SymbolTimesSchema, books: z.array(BookStateSchema) });

/**
 * What the venue works on, as JSON (the engine stores it with the risk book it goes with, taken at
 * the same moment: cli/risk-persist.ts): its working orders, each with what it filled and the
 * number of its next fill (fill ids go on from those before), per symbol the newest event time
 * known and the last event's (a hole in the data after a restart still cancels them), and from v2
 * on the estimates its prices come from (σ, volume, spread, the timeframe it fills on). A v1
 * snapshot, stored before v2, still loads: its estimates start over from the next bars. The
 * version is checked first, so a v2 snapshot that is not valid is refused, not read as a v1.
 */
export const PaperVenueSnapshotSchema = z.union([V2Schema, V1Schema]);
export type PaperVenueSnapshot = z.infer<typeof PaperVenueSnapshotSchema>;
/** What `PaperVenue.snapshot()` writes now. */
export type PaperVenueSnapshotV2 = z.infer<typeof V2Schema>;

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

const VolSchema = z.object({ lambda: z.number().gt(0).lt(1), variance: z.number().nonnegative().nullable() });
/** null: the `fixed` model (nothing learned). */
const SpreadStateSchema = z
  .object({
    model: SpreadModelSchema,
    ring: z.array(z.number()),
    next: z.number().int().nonnegative(),
    prev: z.object({ high: z.number(), low: z.number(), close: z.number() }).nullable(),
  })
  .nullable();

/**
 * v2's book (read by {@link toV3} only): what the venue learned of one symbol's market, the estimates its fills are priced with: the
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
  vol: VolSchema,
  prevClose: z.number().nullable(),
  spread: SpreadStateSchema,
  quotedHalf: z.number().nullable(),
  quotedTs: z.number().nullable(),
});

/**
 * What the venue learned of one timeframe's bars of a symbol (v3): the close of the newest bar
 * learned from, its volume and close, σ and the bar spread estimator's state. Every "none yet" is
 * null (NaN or −∞ in memory).
 */
const EstimatesStateSchema = z.object({
  tf: TimeframeSchema,
  end: z.number().nullable(),
  volume: z.number().nullable(),
  vol: VolSchema,
  prevClose: z.number().nullable(),
  spread: SpreadStateSchema,
});
export type PaperVenueEstimatesState = z.infer<typeof EstimatesStateSchema>;

/**
 * A symbol's book from v3 on: the timeframe filled on and the close of its newest bar, the last
 * mid and quoted half spread with its time, and the estimates of every timeframe the venue learned
 * from (one each), so a timeframe taking over again goes on with its own.
 */
const BookStateV3Schema = z.object({
  symbol: z.string(),
  tf: TimeframeSchema.nullable(),
  tfEnd: z.number().nullable(),
  mid: z.number().nullable(),
  quotedHalf: z.number().nullable(),
  quotedTs: z.number().nullable(),
  estimates: z.array(EstimatesStateSchema).refine((es) => new Set(es.map((e) => e.tf)).size === es.length, { message: 'one set of estimates per timeframe' }),
});
export type PaperVenueBookStateV3 = z.infer<typeof BookStateV3Schema>;

/** Written by f0dc1d5 and until v2: working orders and symbol times only (no `v`). */
const V1Schema = z.object({ v: z.undefined().optional(), working: z.array(WorkingSchema), symbols: SymbolTimesSchema });
/** v2 (7111610) adds each symbol's price-model estimates (`books`), of the timeframe filled on only. */
const V2Schema = z.object({ v: z.literal(2), working: z.array(WorkingSchema), symbols: SymbolTimesSchema, books: z.array(BookStateSchema) });
/** v3 keeps the estimates per timeframe (`books[].estimates`), so a timeframe switch does not start them over. */
const V3Schema = z.object({ v: z.literal(3), working: z.array(WorkingSchema), symbols: SymbolTimesSchema, books: z.array(BookStateV3Schema) });

/**
 * What the venue works on, as JSON (the engine stores it with the risk book it goes with, taken at
 * the same moment: cli/risk-persist.ts): its working orders, each with what it filled and the
 * number of its next fill (fill ids go on from those before), per symbol the newest event time
 * known and the last event's (a hole in the data after a restart still cancels them), from v2 on
 * the estimates its prices come from (σ, volume, spread, the timeframe it fills on), and from v3 on
 * those of every timeframe it learned from. Older versions still load ({@link toV3}). The version
 * is checked first, so a v3 or v2 snapshot that is not valid is refused, not read as an older one.
 */
export const PaperVenueSnapshotSchema = z.union([V3Schema, V2Schema, V1Schema]);
export type PaperVenueSnapshot = z.infer<typeof PaperVenueSnapshotSchema>;
/** What `PaperVenue.snapshot()` writes now. */
export type PaperVenueSnapshotV3 = z.infer<typeof V3Schema>;

/**
 * A stored snapshot as v3. v1: no estimates (they start over from the next bars). v2: the book's
 * estimates are those of its timeframe `tf` (none when it had none), learned up to `tfEnd`, or
 * where `tfEnd` was stored before it was, up to the symbol's newest known time (the venue takes
 * that for `tfEnd` too); other timeframes start cold.
 */
export function toV3(s: PaperVenueSnapshot): PaperVenueSnapshotV3 {
  if (s.v === 3) return s;
  if (s.v !== 2) return { v: 3, working: s.working, symbols: s.symbols, books: [] };
  const known = new Map(s.symbols.map(([symbol, k]) => [symbol, k]));
  return {
    v: 3,
    working: s.working,
    symbols: s.symbols,
    books: s.books.map((b) => {
      const tfEnd = b.tfEnd === undefined ? (known.get(b.symbol) ?? null) : b.tfEnd;
      const estimates = b.tf === null ? [] : [{ tf: b.tf, end: tfEnd, volume: b.volume, vol: b.vol, prevClose: b.prevClose, spread: b.spread }];
      return { symbol: b.symbol, tf: b.tf, tfEnd, mid: b.mid, quotedHalf: b.quotedHalf, quotedTs: b.quotedTs, estimates };
    }),
  };
}

import { z } from 'zod';
import { StatusCatchUpSchema } from '../../control/status-result.js';
import { BarSchema, TimeframeSchema } from '../../../streams/messages/bar.js';
import { FeatureVectorSchema } from '../../../streams/messages/feature-vector.js';
import { FillSchema } from '../../../streams/messages/fill.js';
import { ExpirySchema } from '../../../streams/messages/expiry.js';
import { ModelEventSchema } from '../../../streams/messages/model-event.js';
import { OrderSchema } from '../../../streams/messages/order.js';
import { PredictionSchema } from '../../../streams/messages/prediction.js';
import { QuoteSchema } from '../../../streams/messages/quote.js';
import { RejectSchema } from '../../../streams/messages/reject.js';
import { RiskStateSchema, TradingStateSchema } from '../../../streams/messages/risk-state.js';
import { TradeSchema } from '../../../streams/messages/trade.js';
import type { Topic } from './feed-protocol.js';

/**
 * What each topic carries: the engine's own message schemas (the public contract in
 * `streams/messages/`) plus the feed's summaries for PnL, actors and market-data feeds. The page validates every
 * payload with these before drawing it.
 */
export const PnlSchema = z
  .object({
    account: z.string(),
    /** The risk actor's trading state now (the `risk` topic only carries changes of it). */
    state: TradingStateSchema.optional(),
    /** The quote currency every amount is in; null (or left out) when not one. */
    currency: z.string().nullable().optional(),
    realised: z.number(),
    unrealised: z.number(),
    equity: z.number(),
    /**
     * Where `currency` is null: realised, unrealised and equity per quote currency of the positions
     * (null: a symbol whose quote is not known), as the three above add amounts in several units.
     */
    byCurrency: z
      .array(z.object({ currency: z.string().nullable(), realised: z.number(), unrealised: z.number(), equity: z.number() }).readonly())
      .readonly()
      .optional(),
    /** Today's PnL (UTC day; negative: a loss) and the drawdown from peak equity, with the limits the risk actor holds them to. */
    daily: z.number().optional(),
    drawdown: z.number().optional(),
    limits: z.object({ maxDailyLoss: z.number(), maxDrawdown: z.number() }).readonly().optional(),
    /** The event time of the book's newest mark: how far the engine has got. */
    asOf: z.number().nullable().optional(),
    /**
     * Whether the engine is deciding a backlog far behind its clock (after an outage), as `ctl
     * status` says it: `behindMs` how far its newest decided event was behind the clock, `asOf`
     * that event's time, `replay` whether that is a replay of a past window on the live clock
     * (`sextant demo`), not a backlog (left out by an engine older than it: read as not); null (or
     * left out) where the engine keeps no watch. `sextant ctl`'s schema of it (zod only, bundled as
     * `streams/messages/` is), so that the page and ctl read one shape.
     */
    catchUp: StatusCatchUpSchema.readonly().nullable().optional(),
    /**
     * `venue`: one symbol held on two venues is two positions; `price`: the mark the unrealised PnL
     * is taken at (null before one). A publisher may leave the optional fields out.
     */
    positions: z
      .array(
        z
          .object({
            venue: z.string().optional(),
            symbol: z.string(),
            qty: z.number(),
            avgPrice: z.number(),
            realised: z.number().optional(),
            unrealised: z.number().optional(),
            price: z.number().nullable().optional(),
          })
          .readonly(),
      )
      .readonly(),
  })
  .readonly();
export type Pnl = z.infer<typeof PnlSchema>;

/**
 * A version the served alias moved to that the engine refused to serve (it does not fit the
 * engine, or did not load): the decision actor says it while it keeps serving its own model.
 */
export const RefusedModelSchema = z.object({ name: z.string(), version: z.number().int(), alias: z.string().nullable(), reason: z.string() }).readonly();
export type RefusedModel = z.infer<typeof RefusedModelSchema>;

/**
 * One actor (the engine's `ActorSummary`): an asset actor's also says how often the supervisor
 * restarted it and, while it is down (`restarting`, `failed`), why (`lastError`); the decision
 * actor's says the model it serves (`name@version`) and a promotion it refused (`modelRefused`,
 * with `lastError` saying it in a line) and the strategy's `timeframe`; the labeling and retraining actors' say what they have
 * done (`counts`: pending, labeled, refused; cycles, trainings, promotions …).
 */
export const ActorStatusSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    state: z.string(),
    restarts: z.number().int().nonnegative().optional(),
    lastError: z.string().optional(),
    model: z.string().optional(),
    modelRefused: RefusedModelSchema.optional(),
    /** The decision actor's: the strategy's timeframe (the charts draw its bars). */
    timeframe: TimeframeSchema.optional(),
    counts: z.record(z.string(), z.number()).optional(),
  })
  .readonly();
export type ActorStatus = z.infer<typeof ActorStatusSchema>;

/**
 * One market-data feed of `sextant gateway` as the engine sees it (the engine's `FeedSummary`,
 * `ctl status`'s `feeds`): `state` the gateway's last word (`live`, `retrying`, `stale` …), or
 * `unknown` once that is older than 3 × `marketData.statusEveryMs` on the engine's clock (the
 * gateway silent: `reason` says so, `lastState` is what it last said); `ageMs` how old the status
 * was when the engine sent this; `code`, `reason` and `retryAt` while not live. `state` is any
 * string, so that a state a newer gateway adds is shown rather than refused.
 */
export const FeedStatusSchema = z
  .object({
    venue: z.string(),
    symbol: z.string(),
    stream: z.string(),
    state: z.string(),
    lastState: z.string().optional(),
    code: z.string().optional(),
    reason: z.string().optional(),
    retryAt: z.number().optional(),
    restarts: z.number().int().nonnegative().optional(),
    publisher: z.string().optional(),
    ts: z.number().optional(),
    ageMs: z.number().nonnegative(),
  })
  .readonly();
export type FeedStatus = z.infer<typeof FeedStatusSchema>;

export const TopicPayloadSchemas = {
  md: z.union([BarSchema, QuoteSchema, TradeSchema]),
  features: FeatureVectorSchema,
  predictions: PredictionSchema,
  orders: z.union([OrderSchema, RejectSchema, FillSchema, ExpirySchema]),
  risk: RiskStateSchema,
  pnl: PnlSchema,
  actors: ActorStatusSchema,
  models: ModelEventSchema,
  feeds: FeedStatusSchema,
} as const satisfies Record<Topic, z.ZodType>;

export type TopicPayload<T extends Topic> = z.infer<(typeof TopicPayloadSchemas)[T]>;

/** A validated payload, tagged with its topic so that a switch narrows it. */
export type Payload = { [T in Topic]: Readonly<{ topic: T; key: string; kind: 'snapshot' | 'delta'; data: TopicPayload<T> }> }[Topic];

export type ParsedPayload = Readonly<{ ok: true; payload: Payload }> | Readonly<{ ok: false; reason: string }>;

export function parsePayload(topic: Topic, key: string, kind: 'snapshot' | 'delta', data: unknown): ParsedPayload {
  const parsed = TopicPayloadSchemas[topic].safeParse(data);
  if (!parsed.success) return { ok: false, reason: `${topic}/${key}: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(data)'}: ${i.message}`).join('; ')}` };
  // The schema chosen by `topic` produced `parsed.data`, so the pair is consistent by construction.
  return { ok: true, payload: { topic, key, kind, data: parsed.data } as Payload };
}

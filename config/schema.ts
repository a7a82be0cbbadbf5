import { z } from 'zod';
import { assetSymbol } from '../streams/messages/common.js';
import { DEFAULT_MAX_REPORT_BYTES, MIN_MAX_REPORT_BYTES } from '../streams/validation/report-size.js';
import { RiskLimitsSchema } from '../models/risk/risk-limits.js';
import { DEFAULT_FILL_PRICE_TOLERANCE_BPS, DEFAULT_MARKET_FILL_BAND_BPS, MAX_FILL_PRICE_TOLERANCE_BPS, MAX_MARKET_FILL_BAND_BPS } from '../models/risk/fill-check.js';
import { ConversionSchema, currencyCode, currencyProblem } from '../models/risk/account-currency.js';
import { MAX_SPREAD_BPS } from '../models/execution/bar-spread.js';
import { MAX_FEE_BPS, MAX_REBATE_BPS } from '../models/execution/fee-limit.js';
import { MAX_IMPACT_COEFF } from '../models/execution/impact-limit.js';
import { MAX_LATENCY_MS } from '../models/execution/latency-limit.js';
import { LabelSpecSchema } from '../models/labeling/label-spec.js';
import { ControlConfigSchema } from '../gateways/control/control-config.js';
import { GatewayConfigSchema } from '../gateways/http/gateway-config.js';
import { MarketDataConfigSchema } from '../gateways/market-data/market-data-config.js';
import { RetrainingConfigSchema } from '../models/retraining/retraining-config.js';
import { TimescalePoliciesSchema } from '../state/timescale-policy-config.js';
import { INBOX_PREFIX_RE } from '../streams/nats-inbox.js';

/**
 * `postgres.statementTimeoutMs` and `postgres.queryTimeoutMs` (state/pg-pool.ts): long enough for
 * the engine's largest statements (a training set of `training.maxSamples`; a continuous aggregate
 * refreshed after a replay has a connection of its own, unbounded), short enough that a lock held
 * elsewhere or a hung server stalls an actor for seconds, not for ever.
 */
const PG_STATEMENT_TIMEOUT_MS = 10_000;
const PG_QUERY_TIMEOUT_MS = 15_000;
/**
 * `postgres.migrationTimeoutMs` (state/pg-migrate.ts): each migration statement at start-up, an
 * index built over a big table included, and the wait for another engine migrating the schema.
 */
const PG_MIGRATION_TIMEOUT_MS = 600_000;

const streamSettings = z.object({
  maxAgeMs: z.number().int().nonnegative(),
  duplicateWindowMs: z.number().int().positive(),
  storage: z.enum(['file', 'memory']),
  maxBytes: z.number().int().positive().optional(),
  replicas: z.number().int().min(1).max(5).optional(),
});

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { message: `a URL with protocol ${protocols.join(' or ')}` },
  );

/** What `decision.riskCheckpointMs` takes. */
const RISK_SPACING_EXPECTED = 'a whole number of ms, or 0 or off to write after every release';

/** Why `decision.riskCheckpointMs` is refused against `consumer.ackWaitMs`, and what to set. */
function riskSpacingProblem(spacing: number, ackWaitMs: number): string {
  return (
    `${spacing} is more than half of consumer.ackWaitMs (${ackWaitMs}): market data is acknowledged only once a risk write after it is stored, ` +
    `so with writes this far apart the asset actors stop pulling while they wait and JetStream redelivers what waited past the ack wait. ` +
    `Set decision.riskCheckpointMs to at most ${Math.floor(ackWaitMs / 2)} (default 200), or consumer.ackWaitMs to at least ${spacing * 2}`
  );
}

export const ConfigSchema = z
  .object({
    prefix: z.string().regex(/^[a-z][a-z0-9]*$/, 'one lowercase subject token'),
    venue: z.string().min(1),
    /** Prepended to the JetStream stream names (MD, SIGNALS, …) so several deployments or tests can share a server. */
    streamNamePrefix: z.string().regex(/^[A-Za-z0-9_]*$/, 'letters, digits and _ only'),
    nats: z
      .object({
        url: url(['nats:', 'tls:', 'ws:', 'wss:']),
        name: z.string().min(1),
        connectTimeoutMs: z.number().int().positive(),
        /** A NATS user (deploy/nats/sextant.conf: `engine` for the engine); or in the URL, `nats://user:password@host`. */
        user: z.string().min(1).optional(),
        /** Its password: from the environment (`SEXTANT__nats__password`), not a file. */
        password: z.union([z.string(), z.number()]).transform(String).optional(),
        /**
         * The subject prefix of this login's reply inboxes (requests, JetStream answers and pulls):
         * deploy/nats/sextant.conf lets the engine user subscribe to `_INBOX_engine.>` only. Subject
         * tokens without wildcards; nats.js's own default is `_INBOX`.
         */
        inboxPrefix: z.string().regex(INBOX_PREFIX_RE, 'must be subject tokens without wildcards or whitespace, e.g. _INBOX_engine').default('_INBOX_engine'),
      })
      .strict(),
    redis: z.object({ url: url(['redis:', 'rediss:']), keyPrefix: z.string().min(1), historyCap: z.number().int().positive() }).strict(),
    postgres: z
      .object({
        url: url(['postgres:', 'postgresql:']),
        schema: z.string().regex(/^[a-z_][a-z0-9_]*$/),
        poolSize: z.number().int().positive(),
        /**
         * The engine's stores: PostgreSQL cancels a statement waiting this long for a lock, or
         * running this long (`lock_timeout`, `statement_timeout`); a retryable error, nothing stored.
         */
        statementTimeoutMs: z.number().int().min(100).default(PG_STATEMENT_TIMEOUT_MS),
        /** The engine's stores: a query with no answer at all this long (a hung server) is given up on client-side. Above statementTimeoutMs. */
        queryTimeoutMs: z.number().int().min(100).default(PG_QUERY_TIMEOUT_MS),
        /** The engine's stores at start-up: a migration statement with no answer this long (a hung server, or one that slow) fails the start-up. */
        migrationTimeoutMs: z.number().int().min(100).default(PG_MIGRATION_TIMEOUT_MS),
        /** Compression and retention of the market history, on TimescaleDB only; absent keys add no policy. */
        timescale: TimescalePoliciesSchema.default(TimescalePoliciesSchema.parse({})),
      })
      .strict()
      .refine((p) => p.queryTimeoutMs > p.statementTimeoutMs, {
        message: 'must be above statementTimeoutMs: a server that still answers cancels the statement first, with its own error',
        path: ['queryTimeoutMs'],
      }),
    streams: z.object({ MD: streamSettings, SIGNALS: streamSettings, OUTCOMES: streamSettings, DLQ: streamSettings }).strict(),
    consumer: z.object({ batchSize: z.number().int().min(1).max(10_000), ackWaitMs: z.number().int().positive() }).strict(),
    validation: z
      .object({
        maxPayloadBytes: z.number().int().positive(),
        /**
         * A fill or expiry a live trading consumer reports (paper venue off) of more bytes than this is
         * refused (OVERSIZE, to `sx.dlq.decisions`). At least 1024; default 8192.
         */
        maxReportBytes: z.number().int().min(MIN_MAX_REPORT_BYTES).default(DEFAULT_MAX_REPORT_BYTES),
        outOfOrderToleranceMs: z.number().int().nonnegative(),
        dedupWindow: z.number().int().positive(),
        /**
         * Live engines (`run`, `demo`): market data stamped more than this many ms after the wall
         * clock is refused (a venue's or publisher's clock error); backtests run on event time.
         */
        maxAheadMs: z.number().int().positive(),
        /**
         * A fill reported by a live trading consumer worse than its order's limit (a buy above it, a
         * sell below it) by more than this many bps of the limit is refused (ORDER_MISMATCH, to
         * `sx.dlq.decisions`): the engine's limits are not rounded to a tick and a venue rounds them.
         * The risk actor, the websocket feed and the labeler all use it. Default 5.
         */
        fillPriceToleranceBps: z.number().nonnegative().max(MAX_FILL_PRICE_TOLERANCE_BPS).default(DEFAULT_FILL_PRICE_TOLERANCE_BPS),
        /**
         * A fill of a market order reported by a live trading consumer further from the order's
         * `refPrice` (the mid the risk actor approved it against) than this many bps of it, either
         * way, is refused (ORDER_MISMATCH, to `sx.dlq.decisions`): a price or unit error. Wide, as
         * the market moves while the order is worked. A limit order's fill better than its limit is
         * held to it on that side (a buy's below `refPrice` × (1 − band), a sell's above
         * `refPrice` × (1 + band)): better than the limit is the market at its arrival, what a market
         * order then fills at. Above 0, at most 10000; default 1000. The risk actor, the websocket
         * feed and the labeler all use it; the paper venue's fills are not checked against it.
         */
        marketFillBandBps: z.number().positive().max(MAX_MARKET_FILL_BAND_BPS).default(DEFAULT_MARKET_FILL_BAND_BPS),
      })
      .strict(),
    asset: z
      .object({
        staleAfterMs: z.number().int().positive(),
        /** Save each asset actor's state at least this often (and every consumer.batchSize messages); absent: after every batch. */
        checkpointMs: z.number().int().positive().optional(),
        /**
         * With Redis and PostgreSQL: copy each asset actor's snapshot to PostgreSQL once its stream
         * sequence is this many messages past the last copy, so an actor whose Redis snapshot is
         * gone resumes from the copy instead of replaying the whole stream; absent: no copies.
         */
        snapshotArchiveEvery: z.number().int().positive().optional(),
      })
      .strict(),
    supervisor: z
      .object({ restartMinMs: z.number().int().positive(), restartMaxMs: z.number().int().positive(), maxRestarts: z.number().int().nonnegative() })
      .strict(),
    assets: z.array(z.object({ venue: z.string().min(1), symbol: assetSymbol }).strict()).min(1),
    data: z.object({ dir: z.string().min(1) }).strict(),
    models: z
      .object({
        /** Where the registry keeps ONNX artifacts (`<dir>/<name>/<version>.onnx`); one folder per PostgreSQL schema. */
        artifactDir: z.string().min(1),
        /**
         * Where trained models are kept for reuse (`state/file-training-cache.ts`): a backtest,
         * demo or experiment that trains on the same bars with the same settings and training code
         * registers the model trained before instead of training it again. `null`: always train.
         */
        trainingCacheDir: z.string().min(1).nullable().default('.sextant/training-cache'),
        /** ONNX Runtime execution provider: `cuda` falls back to CPU with a warning when CUDA cannot load. */
        device: z.enum(['cpu', 'cuda']),
        /**
         * Where the served model's calls run: `worker` (a worker thread: the event loop never
         * waits on a model), `main` (the engine's thread: no thread hop; backtests), `auto`
         * (default): each call of at most `inlineMaxMacs` multiply-adds on the engine's thread,
         * larger ones on the worker (with `device: cuda`, every call on the worker). Measured in
         * bench/README.md (stop 19).
         */
        inferenceThread: z.enum(['worker', 'main', 'auto']).default('auto'),
        /** Under `inferenceThread: auto`: the most multiply-adds (rows × steps × weights) a call may take on the engine's thread. */
        inlineMaxMacs: z.number().int().nonnegative().default(1_000_000),
      })
      .strict(),
    strategy: z
      .object({
        /** Subject token of the strategy (`sx.pred.<name>.…`). */
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
        /** Registry ref of the served model: `name@production`, `name@3`. */
        model: z.string().regex(/^[A-Za-z0-9_-]+(@[A-Za-z0-9_-]+)?$/, 'name or name@version/alias'),
        /** Bars of this timeframe drive predictions; other market data only marks prices. */
        timeframe: z.enum(['1m', '5m', '15m', '1h', '4h', '1d']),
        minConfidence: z.number().min(0).max(1),
        maxIntervalWidth: z.number().nonnegative(),
        /**
         * Size of each asset's target position: base units (`sizing: base`), quote currency
         * (`quote`), or under `equity` a fraction of the account's current equity, in (0, 1].
         */
        positionSize: z.number().positive(),
        /**
         * `base`, `quote`: a fixed size whatever the account holds. `equity`: each target is
         * positionSize × max(0, risk.capital + the risk book's PnL) / price, at the event that
         * decides it, so the positions follow the capital (needs `risk.capital`).
         */
        sizing: z.enum(['base', 'quote', 'equity']),
        allowShort: z.boolean(),
        topK: z.number().int().min(0).max(64),
      })
      .strict(),
    execution: z
      .object({
        policy: z.enum(['immediate', 'twap', 'almgren-chriss']),
        /** Children per parent (TWAP, Almgren–Chriss). */
        slices: z.number().int().min(1).max(1000),
        /**
         * Almgren–Chriss risk aversion λ (per unit of the cost's variance, as a return on the
         * parent's notional) and temporary impact η per unit of qty/volume: trading v base units a
         * bar against a bar volume V costs η·v/V as a return, so κ = sqrt(λσ²V/(η·qty)) per bar
         * (σ: `ewma_vol`); without a volatility or a bar volume the schedule is TWAP.
         */
        riskAversion: z.number().nonnegative(),
        temporaryImpact: z.number().positive(),
        /** Limit offset of scheduled children, bps (positive = passive); the immediate policy crosses by crossBps. */
        limitOffsetBps: z.number(),
        crossBps: z.number().nonnegative(),
        /** A parent is opened only when the position gap exceeds this share of the target notional. */
        minQtyFraction: z.number().min(0).max(1),
        /**
         * How a parent to flat (risk's `onBreach: flatten`, an operator's `reduce --flatten`) is
         * worked: `immediate` (default) — one marketable limit `crossBps` through the far touch that
         * works `flattenTtlMs` from its arrival at the venue, then another, re-priced, for what it
         * left; `policy` — the policy above, over the last prediction's horizon (a TWAP takes hours
         * on 1h bars), a bar between closes.
         */
        flattenWith: z.enum(['immediate', 'policy']).default('immediate'),
        /**
         * How long an immediate close works before it is re-priced, ms. A close decided on a bar
         * reaches the venue at the bar's close and counts from there, so in a backtest on bars
         * alone it still meets the next bar.
         */
        flattenTtlMs: z.number().int().positive().default(60_000),
      })
      .strict(),
    paperVenue: z
      .object({
        /** Off when live trading consumers publish their own fills on sx.exec.fill. */
        enabled: z.boolean(),
        takerFeeBps: z.number().nonnegative().lt(MAX_FEE_BPS, `under ${MAX_FEE_BPS} bps (a fee under 100 % of the notional)`),
        makerFeeBps: z.number().min(-MAX_REBATE_BPS, `at least −${MAX_REBATE_BPS} bps (a rebate of at most 1 % of the notional)`).lt(MAX_FEE_BPS, `under ${MAX_FEE_BPS} bps (a fee under 100 % of the notional)`),
        spreadBps: z.number().nonnegative().lt(MAX_SPREAD_BPS, `under ${MAX_SPREAD_BPS} bps (a half spread under 100 %)`),
        /** Square-root impact coefficient, at most MAX_IMPACT_COEFF (measured ones are of order 1). */
        impactCoeff: z.number().nonnegative().max(MAX_IMPACT_COEFF, `at most ${MAX_IMPACT_COEFF} (measured square-root impact coefficients are of order 1)`),
        maxVolumeShare: z.number().gt(0).max(1),
        /** Order latency in event time (ms): an order meets the market from the first event at or after arrival + latencyMs, or from the part after it of a bar that it ends inside (paper-venue-core.ts). */
        latencyMs: z.number().nonnegative().max(MAX_LATENCY_MS, `at most ${MAX_LATENCY_MS} (a day: venue latencies are milliseconds to seconds)`).default(0),
        /** Spread where no recent quote gives one: `fixed` = spreadBps, or estimated from completed bars (models/execution/bar-spread.ts). */
        spreadModel: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('fixed') }).strict(),
            z.object({ kind: z.literal('range-fraction'), fraction: z.number().min(0).max(1), window: z.number().int().min(1).optional() }).strict(),
            z.object({ kind: z.literal('corwin-schultz'), window: z.number().int().min(1).optional() }).strict(),
          ])
          .default({ kind: 'fixed' }),
        /** How long a quote's spread stands for the trades and bars of its symbol (event time, ms; 0: a quote's own touch only). */
        quoteMaxAgeMs: z.number().nonnegative().default(60_000),
      })
      .strict(),
    risk: z
      .object({
        /** The account the risk actor keeps positions, PnL, limits and trading state for. */
        account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
        /** Limits at first start; afterwards the stored limits (changed with `sextant ctl limits set`) win. */
        limits: RiskLimitsSchema,
        /**
         * The account's capital in the account currency (`accountCurrency`, else the allowlist's one
         * quote currency), before the risk book's PnL (which starts at 0). Needed by
         * `strategy.sizing: equity`; a backtest sets it from `--capital`.
         */
        capital: z.number().positive().finite().optional(),
        /**
         * The currency the limits' money amounts (maxDailyLoss, maxDrawdown, the notional and
         * exposure caps) and the book's PnL are in. Left out: the allowlist's one quote currency.
         */
        accountCurrency: currencyCode.optional(),
        /**
         * How each other quote currency traded converts into accountCurrency: a symbol among
         * `assets` whose latest mid is the rate (`BTC: BTC/USDT`), or a fixed rate (`USDC: 1`).
         */
        conversions: z.record(currencyCode, ConversionSchema).optional(),
      })
      .strict(),
    decision: z
      .object({
        /** An asset that delivers nothing for this long (engine clock) stops holding the others' decisions back. */
        idleFlushMs: z.number().int().positive(),
        /**
         * The risk state (book, seen suggestions, trading state) is written at most this often; left
         * out, 0 or `off`: after every release (read as left out, so the environment or a -c file can
         * turn the spacing off, which cannot unset a key of config/default.yaml). At most half of
         * `consumer.ackWaitMs` (checked below).
         */
        riskCheckpointMs: z
          .union([z.number(), z.literal('off')], { error: RISK_SPACING_EXPECTED })
          .refine((v) => v === 'off' || (Number.isInteger(v) && v >= 0), { error: RISK_SPACING_EXPECTED })
          .transform((v) => (v === 0 || v === 'off' ? undefined : v))
          .optional(),
      })
      .strict(),
    /** Labeling actor: horizons, triple-barrier widths, costs and outcome classes (models/labeling/label-spec.ts). */
    labeling: LabelSpecSchema,
    /** Retraining actor: triggers, shadow evaluation, rollback watch, MLflow (models/retraining/retraining-config.ts). Off by default. */
    retraining: RetrainingConfigSchema.default(RetrainingConfigSchema.parse({})),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }).strict(),
    /** HTTP health/metrics, dashboard files, operator control and the websocket feed (gateways/http). */
    gateway: GatewayConfigSchema,
    /** The engine's operator-control server (`sextant ctl`, gateways/control): how long an audit write may hold a reply. */
    control: ControlConfigSchema.default(ControlConfigSchema.parse({})),
    /** Live market data into JetStream (`sextant gateway`, gateways/market-data). */
    marketData: MarketDataConfigSchema.default(MarketDataConfigSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    // An asset actor's messages are acknowledged only once a risk write after them is stored, so
    // they wait up to riskCheckpointMs (a checkpoint due by its message count asks for the write
    // early, but one due by time waits it out: actors/asset-checkpoints.ts). Past half the ack
    // wait the consumer stops pulling (nats-pull-consumer.ts), past all of it JetStream
    // redelivers: with 600 s against 30 s the engine stopped deciding for 90 s. 0 or off are
    // read as left out (a write after every release): nothing to compare.
    const spacing = c.decision.riskCheckpointMs;
    if (spacing !== undefined && spacing * 2 > c.consumer.ackWaitMs) {
      ctx.addIssue({ code: 'custom', path: ['decision', 'riskCheckpointMs'], message: riskSpacingProblem(spacing, c.consumer.ackWaitMs) });
    }
    // No leverage: a fraction of the equity above 1 would borrow.
    if (c.strategy.sizing === 'equity' && !(c.strategy.positionSize <= 1)) {
      ctx.addIssue({ code: 'custom', path: ['strategy', 'positionSize'], message: `under sizing: equity, a fraction of the equity per asset in (0, 1], got ${c.strategy.positionSize}` });
    }
    // One account currency: amounts in two quote currencies summed as one number under-fired the
    // loss limits by orders of magnitude (a 0.05 BTC loss counted as 0.05 USDT).
    const problem = currencyProblem(c.risk, c.risk.limits.allowlist);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['risk', c.risk.accountCurrency === undefined ? 'accountCurrency' : 'conversions'], message: problem });
    const tracked = new Set(c.assets.map((a) => a.symbol));
    for (const [currency, via] of Object.entries(c.risk.conversions ?? {})) {
      if (typeof via === 'string' && !tracked.has(via)) {
        ctx.addIssue({ code: 'custom', path: ['risk', 'conversions', currency], message: `${via} is not among assets: add it there, so the engine tracks the mid ${currency} is valued at` });
      }
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

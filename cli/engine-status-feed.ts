import type { Config } from '../config/schema.js';
import type { EngineMetrics } from '../gateways/http/metrics.js';
import type { Hub } from '../gateways/ws/hub.js';
import type { RiskStatus } from '../models/risk/risk-core.js';
import type { Timeframe } from '../streams/messages/bar.js';
import type { Logger } from '../state/logger.js';
import type { StreamAdmin } from '../streams/bus.js';
import { streamName } from '../streams/provision.js';
import { quoteOf } from '../streams/messages/symbol-quote.js';
import type { CatchUpStatus } from './catch-up-watch.js';
import type { RefusedModel } from './decisions.js';
import type { Engine } from './engine.js';
import { durableFor } from './engine.js';
import { expiriesDurable, fillsDurable } from './external-durables.js';
import type { FeedStatusWatch, FeedView } from './feed-status-watch.js';

/** A durable consumer whose lag is reported (`sextant_consumer_lag{durable}`). */
export type ConsumerRef = Readonly<{ stream: string; durable: string }>;

/**
 * The `pnl` topic's payload, one per account (the dashboard's `PnlSchema`, plus a few extras).
 * `currency`: the account currency every amount is in (`risk.accountCurrency`, whose conversions
 * put each quote currency in it; else the one quote currency of the symbols the account may trade
 * and holds), null when it cannot be told. `limits`: the loss limits `daily`
 * (negative: a loss) and `drawdown` are held to. `asOf`: the event time of the book's newest
 * mark, how far the engine has got (the page compares it with the newest market data it drew).
 * `catchUp`: whether the engine is deciding a backlog far behind its clock, as `ctl status` says
 * it (cli/catch-up-watch.ts; null where the engine keeps no watch: the page says it in its header),
 * with `replay` true where that is a replay of a past window (`sextant demo`), not a backlog.
 * `byCurrency`, only when `currency` is null (a symbol with no quote currency; an account in two
 * without `risk.conversions` is refused at start-up): realised, unrealised and equity per quote
 * currency of the positions.
 */
export type PnlSummary = Readonly<{
  account: string;
  state: string;
  currency: string | null;
  realised: number;
  unrealised: number;
  equity: number;
  byCurrency?: readonly CurrencySums[];
  daily: number;
  drawdown: number;
  limits: Readonly<{ maxDailyLoss: number; maxDrawdown: number }>;
  asOf: number | null;
  catchUp: CatchUpStatus | null;
  positions: readonly Readonly<{ venue: string; symbol: string; qty: number; avgPrice: number; realised: number; unrealised: number; price: number | null }>[];
}>;

/** An account's amounts in one quote currency (null: of symbols whose quote is not known). */
export type CurrencySums = Readonly<{ currency: string | null; realised: number; unrealised: number; equity: number }>;

/**
 * The `actors` topic's payload, one per actor (the dashboard's `ActorStatusSchema`, plus details).
 * An asset actor's says how often the supervisor restarted it and, while it is down (`restarting`,
 * or `failed`: given up), the failure that put it there (`lastError`; gone once it runs again).
 * The decision path's says the model it serves and, while the served alias names a version it
 * refused, that version and why (`modelRefused`, as `ctl status` says it, and in a line as `lastError`),
 * and the timeframe it decides on (`timeframe`: the page's charts draw its bars).
 * The labeling actor's says what it has pending, labeled and refused, and of those refused the
 * predictions and orders left unlabeled and the other input messages (bad bars …); the retraining actor's state
 * is its phase (`restarting`, with `lastError`, while the supervisor replaces a failed one), with
 * its cycles, trainings, promotions, rejections and rollbacks (`counts`).
 */
export type ActorSummary = Readonly<{
  id: string;
  kind: string;
  state: string;
  restarts?: number;
  lastSeq?: number;
  lastError?: string;
  model?: string;
  modelRefused?: RefusedModel;
  /** The decision actor's: the strategy's timeframe. */
  timeframe?: Timeframe;
  /** What the actor has done, as the page lists it (labeling: pending, labeled, refused, unlabeled, refusedInputs; retraining: cycles, promotions …). */
  counts?: Readonly<Record<string, number>>;
}>;

/**
 * The `feeds` topic's payload, one per market-data feed of `sextant gateway` the engine heard of
 * (the dashboard's `FeedStatusSchema`): the engine's view of it, as `ctl status` says it in `feeds`
 * (cli/feed-status-watch.ts) — `state` the gateway's last word, or `unknown` once that is older than
 * 3 × `marketData.statusEveryMs` (the gateway silent, `reason` says so, `lastState` what it last
 * said); `ageMs` how old it was on the engine's clock when this was published.
 */
export type FeedSummary = FeedView | FeedGone;

/**
 * A feed the engine's watch forgot (its gateway runs it no more: cli/feed-status-watch.ts), sent
 * once on its key so that a page holding it drops it; the dashboard's panel deletes its row.
 */
export type FeedGone = Readonly<{ venue: string; symbol: string; stream: string; state: 'gone'; reason: string; ageMs: 0 }>;

/** A feed's key on the `feeds` topic: venue, symbol and stream (`binance:BTC/USDT:bar 1m`). */
export const feedKey = (f: Pick<FeedView, 'venue' | 'symbol' | 'stream'>): string => `${f.venue}:${f.symbol}:${f.stream}`;

export type EngineStatusFeedOptions = Readonly<{
  engine: Pick<Engine, 'supervisor' | 'decisions' | 'labeling' | 'counters'> & Partial<Pick<Engine, 'retraining' | 'catchUp'>>;
  hub: Pick<Hub, 'publishLocal'>;
  /**
   * Consumer lag goes here, and the engine's restart and rebuild counts are read from here at each
   * scrape (predictions and orders are counted off the bus by metrics-feed.ts, not here).
   */
  metrics?: Pick<EngineMetrics, 'consumerLag' | 'engineCounts' | 'labelingCounts' | 'retrainingCounts' | 'decisionCounts'>;
  bus: Pick<StreamAdmin, 'consumerInfo'>;
  consumers: readonly ConsumerRef[];
  /** Everything is published at least this often, and consumer lag is read this often. */
  intervalMs: number;
  /** How often the state is compared with what was last published (default min(250, intervalMs)). */
  checkMs?: number;
  /** The strategy's timeframe (`strategy.timeframe`), said on the decision actor's status: the page's charts draw its bars. */
  timeframe?: Timeframe;
  /** The engine's view of `sextant gateway`'s feeds (`sextant run` on NATS): published as the `feeds` topic. */
  feeds?: Pick<FeedStatusWatch, 'feeds'>;
  log: Logger;
}>;

export type EngineStatusFeed = Readonly<{
  /** Publishes every actor and account now, changed or not. */
  flush(): void;
  /**
   * The engine stopped (`Engine.stop` resolved): the decision path is said `stopped` from now on,
   * as the supervisor says of the asset actors and the labeling actor of itself, and everything
   * is published now. A held demo's page showed the decision path `live` beside stopped actors,
   * with no engine answering `ctl status`.
   */
  engineStopped(): void;
  /** Reads every consumer's lag into the metrics now. */
  pollLag(): Promise<void>;
  /** Stops the timers (after a last {@link flush}). */
  stop(): void;
}>;

/**
 * The consumers an engine on `cfg` runs: one per asset actor, the external fills' one without a
 * paper venue (and the external expiries' one), the labeling actor's (its SIGNALS one and one per asset's bars) and the retraining
 * actor's (the strategy's labels).
 */
export function engineConsumers(cfg: Config, engine: Pick<Engine, 'decisions' | 'labeling'> & Partial<Pick<Engine, 'retraining'>>): ConsumerRef[] {
  const md = streamName(cfg, 'MD');
  const out: ConsumerRef[] = cfg.assets.map((a) => ({ stream: md, durable: durableFor(a) }));
  if (engine.decisions !== undefined && !cfg.paperVenue.enabled) out.push({ stream: streamName(cfg, 'SIGNALS'), durable: fillsDurable(cfg) }, { stream: streamName(cfg, 'SIGNALS'), durable: expiriesDurable(cfg) });
  out.push(...(engine.labeling?.consumers ?? []));
  out.push(...(engine.retraining?.consumers ?? []));
  return out;
}

/** The supervisor's states for an asset actor it has no running instance of (waiting to restart it, or given up). */
const DOWN: ReadonlySet<string> = new Set(['restarting', 'failed']);

/**
 * Realised, unrealised and equity (their sum) of the positions per quote currency, by name (null
 * last): an account trading BTC/USDT and ETH/USDC had `equity` 1,095 for 1,000 USDT and 95 USDC.
 */
function sumsByCurrency(positions: RiskStatus['positions']): CurrencySums[] {
  const sums = new Map<string | null, { realised: number; unrealised: number }>();
  for (const p of positions) {
    const c = quoteOf(p.symbol);
    const s = sums.get(c) ?? { realised: 0, unrealised: 0 };
    s.realised += p.realised;
    s.unrealised += p.unrealised;
    sums.set(c, s);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
    .map(([currency, s]) => ({ currency, realised: s.realised, unrealised: s.unrealised, equity: s.realised + s.unrealised }));
}

/** The risk actor's book as the `pnl` payload, with the engine's catch-up state (null without a watch; `replay` with it). */
export function pnlOf(r: RiskStatus, catchUp: CatchUpStatus | null = null): PnlSummary {
  // The risk core's account currency: the configured one (its conversions put every amount in
  // it), else the one quote currency of what it trades and holds.
  const currency = r.currency;
  return {
    account: r.account,
    state: r.state,
    currency,
    realised: r.pnl.realised,
    unrealised: r.pnl.unrealised,
    equity: r.pnl.equity,
    ...(currency === null ? { byCurrency: sumsByCurrency(r.positions) } : {}),
    daily: r.pnl.daily,
    drawdown: r.pnl.drawdown,
    limits: { maxDailyLoss: r.limits.maxDailyLoss, maxDrawdown: r.limits.maxDrawdown },
    asOf: r.asOf,
    catchUp,
    positions: r.positions.map((p) => ({ venue: p.venue, symbol: p.symbol, qty: p.qty, avgPrice: p.avgCost, realised: p.realised, unrealised: p.unrealised, price: p.price })),
  };
}

/**
 * Publishes the engine's own state into the websocket feed while it runs — `actors` (every asset
 * actor from the supervisor, the decision path, the risk and labeling actors), `pnl` (the risk
 * actor's book) and, with a feed-status watch, `feeds` (each market-data feed of `sextant gateway`
 * as the engine sees it; its age alone changing is not a change: it is sent again with the rest) —
 * whenever a value changed since it was last sent (compared every `checkMs`) and all of it every
 * `intervalMs`; reads each durable consumer's lag into the metrics, and hands them
 * the engine's counters (actor restarts, state rebuilds), the decision path's expiry counts and the
 * labeling and retraining actors' counts to read at each scrape.
 */
export function startEngineStatusFeed(opts: EngineStatusFeedOptions): EngineStatusFeed {
  const { engine, hub } = opts;
  const log = opts.log.child({ feed: 'engine-status' });
  const sent = new Map<string, string>();
  /** The `feeds` keys sent and not since said `gone`. */
  const feedsSent = new Map<string, Pick<FeedView, 'venue' | 'symbol' | 'stream'>>();
  opts.metrics?.engineCounts(() => engine.counters);
  const labeling = engine.labeling;
  if (labeling !== undefined) opts.metrics?.labelingCounts(labeling.strategy, () => labeling.stats());
  const retraining = engine.retraining;
  if (retraining !== undefined) opts.metrics?.retrainingCounts(retraining.strategy, () => retraining.status());
  const decisions = engine.decisions;
  if (decisions !== undefined) opts.metrics?.decisionCounts(decisions.strategy.strategy, () => decisions.path.stats());
  let labelingState = 'live';
  let decisionState = 'live';
  engine.labeling?.done.then(
    () => (labelingState = 'stopped'),
    () => (labelingState = 'failed'),
  );

  const actors = (): ActorSummary[] => {
    const out: ActorSummary[] = engine.supervisor.status().map((a) => ({
      id: a.key,
      kind: 'asset',
      state: a.state,
      restarts: a.restarts,
      lastSeq: a.lastSeq,
      // Why it is down: the supervisor keeps its last failure after a restart, but once an actor
      // runs again that error is past (the restart count still says it failed), so the dashboard
      // shows it only while the actor is restarting or given up.
      ...(a.lastError !== undefined && DOWN.has(a.state) ? { lastError: a.lastError } : {}),
    }));
    const d = engine.decisions;
    if (d !== undefined) {
      const m = d.model();
      const no = d.refused();
      // The registry names a version this engine refused: the model it serves is not the alias's.
      const refused = no === null ? {} : { lastError: `refused ${no.name}@${no.version}${no.alias !== null ? ` (${no.name}@${no.alias})` : ''}: ${no.reason}`, modelRefused: no };
      // Stopped deciding (a risk write or a release failed): `failed`, and why, as `ctl status` says it (`decisionFailure`).
      const failure = d.sequencer.failure();
      const down = failure === undefined ? {} : { lastError: failure.message };
      out.push({ id: `decision:${d.strategy.strategy}`, kind: 'decision', state: failure === undefined ? decisionState : 'failed', model: `${m.name}@${m.version}`, ...(opts.timeframe === undefined ? {} : { timeframe: opts.timeframe }), ...refused, ...down });
      const r = d.risk.status();
      out.push({ id: `risk:${r.account}`, kind: 'risk', state: r.state });
    }
    if (labeling !== undefined) {
      const l = labeling.stats();
      // `refused` as before; split into the predictions and orders left unlabeled and the other input messages refused.
      out.push({ id: labeling.key, kind: 'labeling', state: labelingState, counts: { pending: l.pending, labeled: l.labeled, refused: l.refused, unlabeled: l.unlabeled, refusedInputs: l.refusedInputs } });
    }
    if (retraining !== undefined) {
      const r = retraining.status();
      const c = r.counters;
      const down = r.restarting === undefined ? {} : { lastError: r.restarting.error };
      out.push({ id: retraining.key, kind: 'retraining', state: r.restarting === undefined ? r.phase : 'restarting', ...down, counts: { cycles: r.cycles, trainings: c.trainings, promotions: c.promotions, rejections: c.rejections, rollbacks: c.rollbacks } });
    }
    return out;
  };

  const publish = (force: boolean): void => {
    // `same`: what is compared with the last one sent (default the whole payload).
    const send = (topic: 'actors' | 'pnl' | 'feeds', key: string, data: ActorSummary | PnlSummary | FeedSummary, same: unknown = data): void => {
      const text = JSON.stringify(same);
      const slot = `${topic}|${key}`;
      if (!force && sent.get(slot) === text) return;
      sent.set(slot, text);
      hub.publishLocal(topic, key, data);
    };
    try {
      for (const a of actors()) send('actors', a.id, a);
      const risk = engine.decisions?.risk.status();
      if (risk !== undefined) send('pnl', risk.account, pnlOf(risk, engine.catchUp?.status() ?? null));
      // A feed's age grows at every check, and the gateway restamps it at every republish: compared
      // without them (and without an `unknown` one's reason, which says its age), so that a change
      // of state, code or reason goes out at once, and the age with the full publish.
      const feeds = opts.feeds?.feeds() ?? [];
      const current = new Set<string>();
      for (const f of feeds) {
        const key = feedKey(f);
        current.add(key);
        feedsSent.set(key, f);
        send('feeds', key, f, [f.state, f.lastState, f.code, f.state === 'unknown' ? null : f.reason, f.retryAt, f.restarts, f.publisher]);
      }
      // A feed the watch forgot is said `gone` once (the hub keeps that as its key's last word).
      for (const [key, f] of feedsSent) {
        if (current.has(key)) continue;
        feedsSent.delete(key);
        sent.delete(`feeds|${key}`);
        const gone: FeedGone = { venue: f.venue, symbol: f.symbol, stream: f.stream, state: 'gone', reason: 'sextant gateway publishes other feeds but no longer this one', ageMs: 0 };
        hub.publishLocal('feeds', key, gone);
      }
    } catch (e) {
      log.warn({ err: String(e) }, 'engine status unavailable');
    }
  };

  let polling = false;
  let quietErrors = false;
  const pollLag = async (): Promise<void> => {
    const metrics = opts.metrics;
    if (metrics === undefined || polling) return;
    polling = true;
    try {
      await Promise.all(
        opts.consumers.map(async (c) => {
          try {
            const info = await opts.bus.consumerInfo(c.stream, c.durable);
            if (info !== undefined) metrics.consumerLag(c.durable, info.pending);
          } catch (e) {
            // A stream deleted under a running engine (demo reset, tests): said once, not every tick.
            if (!quietErrors) log.warn({ err: String(e), durable: c.durable }, 'consumer lag unavailable');
            quietErrors = true;
          }
        }),
      );
    } finally {
      polling = false;
    }
  };

  const checkMs = opts.checkMs ?? Math.min(250, opts.intervalMs);
  const check = setInterval(() => publish(false), checkMs);
  const full = setInterval(() => {
    publish(true);
    void pollLag();
  }, opts.intervalMs);
  check.unref();
  full.unref();
  publish(true);
  void pollLag();

  return {
    flush: () => publish(true),
    engineStopped: () => {
      decisionState = 'stopped';
      publish(true);
    },
    pollLag,
    stop: () => {
      clearInterval(check);
      clearInterval(full);
      publish(true);
    },
  };
}

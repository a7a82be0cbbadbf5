import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BusConnectionState } from '../../streams/bus-connection.js';
import { FEED_STATUS_STATES } from '../../streams/messages/feed-status.js';
import { natsConnectionMetrics } from './nats-connection-metrics.js';

/** A feed as the engine last heard of it from `sextant gateway` (cli/feed-status-watch.ts `FeedView`). */
export type SeenFeed = Readonly<{ venue: string; symbol: string; stream: string; state: string; ageMs: number }>;
/** The states of `md.status` v1, and `unknown`: the gateway silent past 3 republish intervals (cli/feed-status-watch.ts). */
const SEEN_FEED_STATES = [...FEED_STATUS_STATES, 'unknown'] as const;

/** Stages of the live path timed by `observeStage` (the `stage` label). */
export const METRIC_STAGES = ['decode', 'features', 'store', 'decide', 'publish'] as const;
export type MetricStage = (typeof METRIC_STAGES)[number];

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;

export type OrderOutcome = 'approved' | 'rejected';

/**
 * Engine metrics as plain method calls, so the engine never touches prom-client. One instance per
 * process, on its own `Registry` (never prom-client's global one: tests and embedded engines run
 * several in one process).
 */
export type EngineMetrics = Readonly<{
  registry: Registry;
  /** A message seen on `subject` (counted under {@link subjectLabel}). */
  messageIn(subject: string): void;
  /** Messages a durable consumer has yet to be delivered (JetStream `num_pending`). */
  consumerLag(durable: string, pending: number): void;
  observeStage(stage: MetricStage, ms: number): void;
  /** A message refused at an edge (DLQ), by reason and the refusing source. */
  refusal(reason: string, source?: string): void;
  /** A prediction its stream stored for the first time (cli/stored-decision-counts.ts). */
  prediction(strategy: string): void;
  /** A risk decision (order or reject) its stream stored for the first time. */
  order(outcome: OrderOutcome): void;
  /** The trading state now in force: its series is 1, the others 0. */
  riskState(state: string): void;
  /**
   * Where the model the engine serves is read at each scrape (cli/served-model-metric.ts):
   * `sextant_model_version{name,alias}` is its version, under the alias of `strategy.model` the
   * engine follows (`pinned` for a pinned version, `name@3`); no series while it reads undefined
   * (no model served).
   * Registry events do not set it: a version the alias moved to that the engine refused to serve
   * is not the one it serves (`sextant_models_refused_total` counts those).
   */
  servedModel(read: () => ServedModel | undefined): void;
  wsClients(n: number): void;
  wsClosed(reason: string): void;
  /** The websocket feed's upstream (NATS) link: `sextant_ws_upstream_up` 1 while up, 0 while down. */
  wsUpstream(up: boolean): void;
  /** A bus message the feed dropped because its id was already relayed (`sextant_ws_duplicates_total`). */
  wsDuplicate(): void;
  /** A working order the feed's `orders` snapshot let go: more than `ordersSnapshotDepth` of its slot held (`sextant_ws_orders_snapshot_dropped_total`). */
  wsWorkingOrderDropped(): void;
  /**
   * Where one of the process's NATS links (`connection`: its client name, `sextant` for the engine's,
   * `sextant-control` for the dashboard's control login) is read at each scrape
   * (cli/nats-connection-log.ts): `sextant_nats_connected{connection}` 1 while up, 0 while down,
   * `sextant_nats_reconnects_total{connection}` and `sextant_nats_last_outage_seconds{connection}`
   * (the outage under way, else the last one; 0 before any), one series per link given
   * (nats-connection-metrics.ts). No series until one is given (an in-process bus).
   */
  natsConnection(connection: string, read: () => BusConnectionState): void;
  /**
   * Where the engine's view of `sextant gateway`'s feeds is read at each scrape
   * (cli/feed-status-watch.ts): `sextant_market_data_feed_status_seen{venue,symbol,stream,status}`
   * (a state set: 1 for the feed's state, `unknown` once the gateway is silent, 0 for the others)
   * and `sextant_market_data_feed_status_age_seconds{venue,symbol,stream}` (how old the gateway's
   * last word is). No series until it is given; a feed appears once the gateway said it.
   */
  marketDataFeeds(read: () => readonly SeenFeed[]): void;
  /**
   * Where the engine's restart, rebuild and refused-model counts are read at each scrape
   * (`EngineCounters`): `sextant_actor_restarts_total`, `sextant_state_rebuilds_total` and
   * `sextant_models_refused_total`.
   */
  engineCounts(read: () => EngineCounts): void;
  /**
   * Where the labeling actor's counts are read at each scrape (`LabelingCounts`, its `stats()`):
   * counters `sextant_labeling_{received,labeled,samples,published,duplicates,skipped,paths_from_store,relabels_skipped,no_bars_refused}_total`
   * and gauges `sextant_labeling_pending` and `sextant_labeling_waiting_features`, by `strategy`.
   */
  labelingCounts(strategy: string, read: () => LabelingCounts): void;
  /**
   * Where the retraining actor's counts are read at each scrape (`RetrainingCounts`, its `status()`):
   * counters `sextant_retraining_{labels,scored,missing_samples,skipped,trainings,promotions,rejections,rollbacks}_total`
   * and `sextant_retraining_triggers_total{trigger}` (cycles started, by cause), and the gauge
   * `sextant_retraining_phase{phase}` (1 for the phase it is in), by `strategy`.
   */
  retrainingCounts(strategy: string, read: () => RetrainingCounts): void;
  /**
   * Where the decision path's expiry counts are read at each scrape (`DecisionCounts`, its
   * `stats()`): counters `sextant_orders_expired_total{strategy,at_gap}` (orders a venue stopped
   * working early, released in risk and execution; `at_gap` true: the paper venue cancelled them at
   * a hole in the data), `sextant_expiries_ignored_total{strategy}` (expiries a live trading
   * consumer reported of orders released already: many say it reports its exchange's expiries late)
   * `sextant_expiries_confirming_total{strategy}` (expiries that repeat what the order's `final`
   * fill said, leaving the rest unfilled: a desk that sends both, not late) and
   * `sextant_orders_released_after_grace_total{strategy}` (orders risk stopped counting in its
   * limits with no report of their end, `risk.limits.unreportedExpiryGraceMs` past their `expiresAt`).
   */
  decisionCounts(strategy: string, read: () => DecisionCounts): void;
  /** The exposition text (`GET /metrics`). */
  text(): Promise<string>;
  readonly contentType: string;
}>;

/** The model the engine serves and the alias of `strategy.model` it follows. */
export type ServedModel = Readonly<{ name: string; version: number; alias: string }>;

/** The engine's own counts the metrics read (a subset of `EngineCounters`, which only grow). */
export type EngineCounts = Readonly<{ restarts: number; rebuilds: number; modelsRefused: number }>;

/** The labeling actor's counts the metrics read (its `LabelingStats`; refusals are in `sextant_refusals_total{source="labeling"}`). */
export type LabelingCounts = Readonly<{
  received: number;
  labeled: number;
  samples: number;
  published: number;
  duplicates: number;
  skippedSeq: number;
  pathsFromStore: number;
  /** Re-published orders found labeled in the training-sample store, not labeled again. */
  relabelsSkipped: number;
  /** Items refused (also in the refusals) because their asset had no bar up to their horizon: a symbol that stopped trading. */
  noBarsRefused: number;
  pending: number;
  waitingFeatures: number;
}>;

/** The decision path's expiry counts the metrics read (of its `DecisionStats`). */
export type DecisionCounts = Readonly<{
  /** Orders a venue stopped working early (expired at its TTL, cancelled at a gap, a live venue's report), released at once. */
  expired: number;
  /** Of those, the ones the paper venue cancelled because their symbol's data resumed after a hole. */
  expiredAtGap: number;
  /** Expiries reported from outside of an order released already: nothing released, not in `expired`. */
  expiriesIgnored: number;
  /** Expiries reported from outside that repeat what their order's `final` fill said (it left the rest unfilled, expiring it): not late, not in `expiriesIgnored`. */
  expiriesConfirming: number;
  /**
   * Orders risk released with no report of their end once their `expiresAt` and the grace after it
   * (`risk.limits.unreportedExpiryGraceMs`) passed in event time: a venue that reports its expiries
   * late or not at all.
   */
  releasedAfterGrace: number;
  /** Under `strategy.sizing: equity`, intents published without a target: the equity could not be put in the symbol's quote currency (a conversion mid not seen yet). */
  intentsUnsized: number;
}>;

/** The retraining actor's phase and counts the metrics read (its `RetrainingStatus`; refusals are in `sextant_refusals_total{source="retraining"}`). */
export type RetrainingCounts = Readonly<{
  phase: string;
  counters: Readonly<{
    labels: number;
    scored: number;
    missingSamples: number;
    skippedSeq: number;
    trainings: number;
    promotions: number;
    rejections: number;
    rollbacks: number;
    triggered: Readonly<Record<string, number>>;
  }>;
}>;

/** The retraining actor's phases (`sextant_retraining_phase` has a series for each, 1 for the one it is in). */
const RETRAINING_PHASES = ['idle', 'collecting', 'training', 'validating', 'shadow', 'promoted', 'rejected', 'paused'] as const;

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,48}$/;

/**
 * The `subject` label of `sextant_messages_in_total`: subjects are low-cardinality by design
 * (venue, symbol, strategy, kind); anything else in a token position (an odd or long token) is
 * replaced by `*`, and subjects are cut after six tokens, so a stray publisher cannot blow up the
 * series count.
 */
export function subjectLabel(subject: string): string {
  const tokens = subject.split('.');
  const kept = tokens.slice(0, 6).map((t) => (SAFE_TOKEN.test(t) ? t : '*'));
  if (tokens.length > 6) kept.push('>');
  return kept.join('.');
}

/** Builds the metrics on a fresh registry (with Node's process metrics under `sextant_process_…`). */
export function createEngineMetrics(opts: Readonly<{ defaultMetrics?: boolean }> = {}): EngineMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sextant_' });
  const registers = [registry];

  const messagesIn = new Counter({ name: 'sextant_messages_in_total', help: 'Messages seen per subject', labelNames: ['subject'], registers });
  const lag = new Gauge({ name: 'sextant_consumer_lag', help: 'Messages pending per durable consumer', labelNames: ['durable'], registers });
  const stage = new Histogram({
    name: 'sextant_stage_latency_seconds',
    help: 'Latency of each stage of the live path',
    labelNames: ['stage'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const refusals = new Counter({ name: 'sextant_refusals_total', help: 'Dead letters: messages refused at an edge, by reason and the consumer that refused it (source); a message several consumers read and refuse (a malformed fill: decisions and labeling) counts once for each', labelNames: ['reason', 'source'], registers });
  const predictions = new Counter({ name: 'sextant_predictions_total', help: 'Predictions published, each once', labelNames: ['strategy'], registers });
  const orders = new Counter({ name: 'sextant_orders_total', help: 'Suggestions decided by the risk actor, each decision once', labelNames: ['outcome'], registers });
  const risk = new Gauge({ name: 'sextant_risk_state', help: 'Trading state in force (1) per state', labelNames: ['state'], registers });
  let readServed: (() => ServedModel | undefined) | undefined;
  new Gauge({
    name: 'sextant_model_version',
    help: 'Model version the engine serves, under the alias it follows',
    labelNames: ['name', 'alias'],
    registers,
    collect() {
      // Read off the engine at each scrape: a swap (or a refused one) shows at once, and a
      // series for a model no longer served does not linger.
      this.reset();
      const s = readServed?.();
      if (s !== undefined) this.set({ name: s.name, alias: s.alias }, s.version);
    },
  });
  const clients = new Gauge({ name: 'sextant_ws_clients', help: 'Connected websocket clients', registers });
  const wsCloses = new Counter({ name: 'sextant_ws_closes_total', help: 'Websocket connections closed by the server, by reason', labelNames: ['reason'], registers });
  const wsUpstream = new Gauge({ name: 'sextant_ws_upstream_up', help: "Whether the websocket feed's NATS link is up (1) or down (0)", registers });
  const wsDuplicates = new Counter({ name: 'sextant_ws_duplicates_total', help: 'Bus messages the websocket feed dropped because their id was already relayed', registers });
  const wsWorkingDropped = new Counter({
    name: 'sextant_ws_orders_snapshot_dropped_total',
    help: "Approved orders still working that the websocket feed's orders snapshot let go, more than gateway.ordersSnapshotDepth of their slot being held",
    registers,
  });
  const nats = natsConnectionMetrics(registry);
  let seenFeeds: (() => readonly SeenFeed[]) | undefined;
  new Gauge({
    name: 'sextant_market_data_feed_status_seen',
    help: "Each market-data feed's state as sextant gateway last published it (sx.mdstatus), 1 for the current one; unknown: the gateway silent past 3 republish intervals",
    labelNames: ['venue', 'symbol', 'stream', 'status'],
    registers,
    collect() {
      if (seenFeeds === undefined) return;
      this.reset();
      for (const f of seenFeeds()) for (const st of SEEN_FEED_STATES) this.set({ venue: f.venue, symbol: f.symbol, stream: f.stream, status: st }, f.state === st ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sextant_market_data_feed_status_age_seconds',
    help: "How old sextant gateway's last status of each market-data feed is, on the engine's clock",
    labelNames: ['venue', 'symbol', 'stream'],
    registers,
    collect() {
      if (seenFeeds === undefined) return;
      this.reset();
      for (const f of seenFeeds()) this.set({ venue: f.venue, symbol: f.symbol, stream: f.stream }, f.ageMs / 1000);
    },
  });
  let readCounts: (() => EngineCounts) | undefined;
  /** A counter read off the engine at scrape time: it goes up by what the engine's count grew since the last scrape. */
  const scraped = (name: string, help: string, pick: (c: EngineCounts) => number): void => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = readCounts === undefined ? seen : pick(readCounts());
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  scraped('sextant_actor_restarts_total', 'Asset actors restarted by the supervisor after a failure', (c) => c.restarts);
  scraped('sextant_state_rebuilds_total', 'Asset actor starts that replayed the stream because their snapshot was behind the acknowledged stream', (c) => c.rebuilds);
  scraped('sextant_models_refused_total', 'Versions the served model alias moved to that the engine refused to serve (they do not fit it or did not load); it kept the model it had', (c) => c.modelsRefused);
  /** An actor's counts read at scrape time: the one attached (`attach`), and what each counter had counted of it. */
  type Attached<C> = { current: Readonly<{ strategy: string; read: () => C }> | undefined; seen: Map<string, number>[] };
  /** Attaches an actor's counts; a new actor counts from 0, so what the counters had seen starts over. */
  const attach = <C>(a: Attached<C>, strategy: string, read: () => C): void => {
    a.current = { strategy, read };
    for (const seen of a.seen) seen.clear();
  };
  /** A count read at scrape time, one series per label set `pick` gives: it goes up by what the actor's count grew since the last scrape. */
  const attachedCounter = <C>(a: Attached<C>, name: string, help: string, extra: readonly string[], pick: (c: C) => readonly (readonly [Readonly<Record<string, string>>, number])[]): void => {
    const seen = new Map<string, number>();
    a.seen.push(seen);
    new Counter({
      name,
      help,
      labelNames: ['strategy', ...extra],
      registers,
      collect() {
        if (a.current === undefined) return;
        const { strategy } = a.current;
        for (const [labels, now] of pick(a.current.read())) {
          const series = { strategy, ...labels };
          const slot = JSON.stringify(series);
          const before = seen.get(slot) ?? 0;
          this.inc(series, Math.max(0, now - before));
          seen.set(slot, Math.max(before, now));
        }
      },
    });
  };
  const labeling: Attached<LabelingCounts> = { current: undefined, seen: [] };
  const labelingCounter = (name: string, help: string, pick: (c: LabelingCounts) => number): void => attachedCounter(labeling, name, help, [], (c) => [[{}, pick(c)]]);
  const labelingGauge = (name: string, help: string, pick: (c: LabelingCounts) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['strategy'],
      registers,
      collect() {
        if (labeling.current !== undefined) this.set({ strategy: labeling.current.strategy }, pick(labeling.current.read()));
      },
    });
  };
  labelingCounter('sextant_labeling_received_total', 'Messages the labeling actor received (predictions, execution messages, bars), each once', (c) => c.received);
  labelingCounter('sextant_labeling_labeled_total', 'Predictions and orders labeled and committed', (c) => c.labeled);
  labelingCounter('sextant_labeling_samples_total', 'Training samples written by the labeling actor', (c) => c.samples);
  labelingCounter('sextant_labeling_published_total', 'Outcomes, labels and dead letters the labeling actor published', (c) => c.published);
  labelingCounter('sextant_labeling_duplicates_total', 'Labeling publishes the stream dropped as duplicates (republished after a restart)', (c) => c.duplicates);
  labelingCounter('sextant_labeling_skipped_total', 'Redelivered messages at or below the committed sequence, skipped by the labeling actor', (c) => c.skippedSeq);
  labelingCounter('sextant_labeling_paths_from_store_total', 'Items whose price path the labeling actor read from the timeseries store', (c) => c.pathsFromStore);
  labelingCounter('sextant_labeling_relabels_skipped_total', 'Re-published orders found labeled in the training-sample store, not labeled again', (c) => c.relabelsSkipped);
  labelingCounter('sextant_labeling_no_bars_refused_total', 'Items refused because their asset had no bar up to their horizon (a symbol that stopped trading); also in sextant_refusals_total', (c) => c.noBarsRefused);
  labelingGauge('sextant_labeling_pending', 'Predictions and orders received and not labeled yet', (c) => c.pending);
  labelingGauge('sextant_labeling_waiting_features', 'Due items waiting for their feature vector or a missing bar of their path', (c) => c.waitingFeatures);
  const retraining: Attached<RetrainingCounts> = { current: undefined, seen: [] };
  const retrainingCount = (name: string, help: string, pick: (c: RetrainingCounts['counters']) => number): void =>
    attachedCounter(retraining, name, help, [], (c) => [[{}, pick(c.counters)]]);
  retrainingCount('sextant_retraining_labels_total', "Labels of the strategy's predictions the retraining actor received", (c) => c.labels);
  retrainingCount('sextant_retraining_scored_total', 'Labels the retraining actor scored the production model on (joined to their training sample)', (c) => c.scored);
  retrainingCount('sextant_retraining_missing_samples_total', 'Labels whose training sample was not found (not scored)', (c) => c.missingSamples);
  retrainingCount('sextant_retraining_skipped_total', 'Redelivered labels at or below the committed sequence, skipped by the retraining actor', (c) => c.skippedSeq);
  retrainingCount('sextant_retraining_trainings_total', 'Challengers the retraining actor started fitting', (c) => c.trainings);
  retrainingCount('sextant_retraining_promotions_total', 'Challengers the retraining actor promoted to production', (c) => c.promotions);
  retrainingCount('sextant_retraining_rejections_total', 'Challengers the retraining actor rejected (validation or shadow)', (c) => c.rejections);
  retrainingCount('sextant_retraining_rollbacks_total', 'Promotions the retraining actor rolled back', (c) => c.rollbacks);
  attachedCounter(retraining, 'sextant_retraining_triggers_total', 'Retraining cycles started, by what triggered them (schedule, decay, drift, adwin, operator)', ['trigger'], (c) =>
    Object.entries(c.counters.triggered).map(([trigger, n]) => [{ trigger }, n] as const),
  );
  new Gauge({
    name: 'sextant_retraining_phase',
    help: 'The phase the retraining actor is in (1; the other phases 0)',
    labelNames: ['strategy', 'phase'],
    registers,
    collect() {
      if (retraining.current === undefined) return;
      const { strategy } = retraining.current;
      const now = retraining.current.read().phase;
      for (const p of new Set<string>([...RETRAINING_PHASES, now])) this.set({ strategy, phase: p }, p === now ? 1 : 0);
    },
  });
  const decisions: Attached<DecisionCounts> = { current: undefined, seen: [] };
  attachedCounter(
    decisions,
    'sextant_orders_expired_total',
    'Approved orders a venue stopped working early (expired at their TTL, cancelled at a hole in the data, or a live venue cancelled them), released in risk and execution at once; at_gap: cancelled at a hole',
    ['at_gap'],
    (c) => [
      [{ at_gap: 'false' }, c.expired - c.expiredAtGap],
      [{ at_gap: 'true' }, c.expiredAtGap],
    ],
  );
  attachedCounter(
    decisions,
    'sextant_intents_unsized_total',
    'Position intents published without a target under strategy.sizing: equity, because the equity could not be valued in the symbol\'s quote currency (its risk.conversions mid, or that of a position held, not seen yet)',
    [],
    (c) => [[{}, c.intentsUnsized]],
  );
  attachedCounter(decisions, 'sextant_expiries_ignored_total', 'Expiries reported by live trading consumers of orders released already (a second report, or one of an order that lapsed before the engine\'s last start; the first report of an order past its expiresAt counts it expired): nothing released', [], (c) => [[{}, c.expiriesIgnored]]);
  attachedCounter(
    decisions,
    'sextant_orders_released_after_grace_total',
    'Approved orders the risk book stopped counting in its position and exposure limits with no expiry or final fill reported, once their expiresAt and the grace after it (risk.limits.unreportedExpiryGraceMs, event time) passed: a live venue that reports its expiries late or not at all (a fill that comes later counts in no limit until it comes). 0 with the paper venue',
    [],
    (c) => [[{}, c.releasedAfterGrace]],
  );
  attachedCounter(
    decisions,
    'sextant_expiries_confirming_total',
    'Expiries reported by live trading consumers that repeat what the order\'s final fill said (it left the rest unfilled, expiring the order): nothing released, not late',
    [],
    (c) => [[{}, c.expiriesConfirming]],
  );
  for (const s of METRIC_STAGES) stage.zero({ stage: s });
  for (const o of ['approved', 'rejected']) orders.inc({ outcome: o }, 0);
  clients.set(0);

  return {
    registry,
    messageIn: (subject) => messagesIn.inc({ subject: subjectLabel(subject) }),
    consumerLag: (durable, pending) => lag.set({ durable }, pending),
    observeStage: (s, ms) => stage.observe({ stage: s }, ms / 1000),
    refusal: (reason, source = 'engine') => refusals.inc({ reason, source }),
    prediction: (strategy) => predictions.inc({ strategy }),
    order: (outcome) => orders.inc({ outcome }),
    riskState: (state) => {
      for (const s of new Set<string>([...TRADING_STATES, state])) risk.set({ state: s }, s === state ? 1 : 0);
    },
    servedModel: (read) => {
      readServed = read;
    },
    wsClients: (n) => clients.set(n),
    wsClosed: (reason) => wsCloses.inc({ reason }),
    wsUpstream: (up) => wsUpstream.set(up ? 1 : 0),
    wsDuplicate: () => wsDuplicates.inc(),
    wsWorkingOrderDropped: () => wsWorkingDropped.inc(),
    natsConnection: (connection, read) => nats.add(connection, read),
    marketDataFeeds: (read) => {
      seenFeeds = read;
    },
    engineCounts: (read) => {
      readCounts = read;
    },
    labelingCounts: (strategy, read) => attach(labeling, strategy, read),
    retrainingCounts: (strategy, read) => attach(retraining, strategy, read),
    decisionCounts: (strategy, read) => attach(decisions, strategy, read),
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

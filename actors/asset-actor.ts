import { createActor } from 'xstate';
import type { Clock } from '../state/clock.js';
import type { EngineCounters } from '../state/counters.js';
import { countRefusal } from '../state/counters.js';
import type { ActorSnapshot, AssetKey, FeatureWriter, SnapshotStore } from '../state/feature-store.js';
import type { Logger } from '../state/logger.js';
import { assetMachine } from '../state/asset-machine.js';
import type { CorePublisher, Deferred, Delivery, DurableConsumer, DurablePublisher, StreamAdmin } from '../streams/bus.js';
import { StreamNotFoundError } from '../streams/errors.js';
import { encode, encodeCached } from '../streams/codec.js';
import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { featureVectorId } from '../streams/messages/feature-vector.js';
import type { MarketData } from '../streams/messages/market-data.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';
import type { Subjects } from '../streams/subjects.js';
import { aheadOfClock, engineClockBound } from '../streams/validation/ahead-of-clock.js';
import { createMarketDataDecoder } from '../streams/validation/decode-market-data.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import type { Accepted, Refusal } from '../streams/validation/decode-market-data.js';
import { fastMarketData } from '../streams/validation/fast-market-data.js';
import type { InProcessDelivery } from '../streams/memory-bus.js';
import { createTickGate } from '../streams/validation/tick-gate.js';
import type { TickGateState } from '../streams/validation/tick-gate.js';
import type { FeatureEngine } from '../models/features/feature-engine.js';
import { TimeframeEngines } from '../models/features/timeframe-engines.js';
import type { TimeframeEnginesState } from '../models/features/timeframe-engines.js';
import { createCheckpoints } from './asset-checkpoints.js';
import type { AssetEvent } from './event-sequencer.js';
import type { Recorder } from './recorder-actor.js';

/** Bumped whenever the snapshot layout changes: an older snapshot is ignored and state rebuilt. */
export const ASSET_SNAPSHOT_VERSION = 1;

/**
 * `handledTo`: while a rebuild replays the stream (below), the stream sequence up to which the
 * messages were handled before — decided and dead-lettered; replaying them only rebuilds the state.
 * Kept in every snapshot until the state has passed it, so a rebuild cut short resumes as one.
 */
type AssetState = TimeframeEnginesState & Readonly<{ gate: TickGateState; handledTo?: number }>;

export type AssetActorDeps = Readonly<{
  /** `consumerInfo` and `deleteConsumer`: a snapshot behind the durable's acknowledgements is rebuilt from the stream. */
  bus: DurablePublisher & CorePublisher & DurableConsumer & Pick<StreamAdmin, 'consumerInfo' | 'deleteConsumer'>;
  features: FeatureWriter & SnapshotStore;
  recorder: Recorder;
  clock: Clock;
  subjects: Subjects;
  counters: EngineCounters;
  log: Logger;
  /**
   * The decision path (strategy → execution → risk → venue), when the engine runs one: every
   * accepted message of a batch, with the vector of each bar, is handed over and decided before
   * the batch is snapshotted and acknowledged.
   */
  decisions?: Readonly<{
    push(asset: string, events: readonly AssetEvent[]): Promise<void>;
    /**
     * Resolves once the risk state after everything decided so far is stored: a checkpoint waits
     * for it before it saves (and acknowledges). `prompt`: this checkpoint cannot wait out the
     * spacing of those writes (its messages pile up unacknowledged).
     */
    covered?(prompt?: boolean): Promise<void>;
  }>;
  /** Told where each batch's handling passes from decoding to features (stage timing from cli/). */
  probe?: AssetProbe;
}>;

/**
 * Marks in a batch's synchronous handling, for a timer outside the actor (cli/stage-timing.ts):
 * the actor reads no clock for it, it only says when a step is done.
 */
export type AssetProbe = Readonly<{
  /** The batch is decoded and validated (refusals sent to the DLQ); its feature updates follow. */
  decoded(): void;
}>;

export type AssetActorOptions = Readonly<{
  asset: AssetKey;
  /** JetStream stream holding market data (MD). */
  stream: string;
  durable: string;
  batchSize: number;
  ackWaitMs: number;
  maxPayloadBytes: number;
  dedupWindow: number;
  outOfOrderToleranceMs: number;
  staleAfterMs: number;
  /**
   * Save the state at least this often on the actor's clock (and every `batchSize` messages);
   * undefined: after every batch. A batch is acknowledged once a save covers it.
   */
  checkpointMs?: number;
  isKnown: (venue: string, symbol: string) => boolean;
  /**
   * Live engines only: a message stamped more than this many ms after the actor's clock is refused
   * (SCHEMA, as the gateway refuses it): admitted, a tick from the future would be the newest of its
   * stream and every real one after it OUT_OF_ORDER, across restarts. Unset where the clock is
   * simulated (backtests): there, event time is the only time.
   */
  maxAheadMs?: number;
}>;

export type AssetActorHandle = Readonly<{
  key: string;
  /** Stops consuming after the batch in hand; state is already snapshotted. */
  stop(): Promise<void>;
  /** Rejects when the actor failed (the supervisor restarts it); resolves when stopped. */
  done: Promise<void>;
  status(): string;
  halt(reason: string): void;
  resume(): void;
  lastSeq(): number;
}>;

export const assetActorKey = (a: AssetKey): string => `asset:${a.venue}:${a.symbol}`;

/**
 * JSON of a message the accept path takes is at most ~2.4 KB (id ≤ 200, venue and symbol ≤ 64
 * characters, 6 bytes each when escaped, plus a dozen short fields): under this many bytes of
 * `maxPayloadBytes` no accepted value could have been refused as OVERSIZE.
 */
const MAX_ACCEPTED_JSON_BYTES = 4096;

/**
 * The accept path for objects published in process (backtests on the memory bus), without the
 * JSON round trip: accepts exactly what decoding the object's JSON would accept, and returns
 * undefined for everything else, which then goes through the bytes (the same verdict and reason
 * as from any bus). The object must be plain (what JSON.stringify writes is its own fields), hold
 * no -0 (JSON writes 0) and no field the schema lacks (its JSON could be OVERSIZE), pass the
 * hand-written schema check, and belong to this actor's asset and to the subject it came on.
 */
/** How many enumerable fields `o` has (a loop: `Object.keys` would make an array per message). */
function ownFields(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

function inProcessAcceptor(
  asset: AssetKey,
  subjects: Subjects,
  maxPayloadBytes: number,
  isKnown: (venue: string, symbol: string) => boolean,
): (subject: string, value: object) => MarketData | undefined {
  if (maxPayloadBytes < MAX_ACCEPTED_JSON_BYTES || !isKnown(asset.venue, asset.symbol)) return () => undefined;
  type Route = NonNullable<ReturnType<Subjects['parseMarketData']>>;
  const routes = new Map<string, Route | null>();
  const routeOf = (subject: string): Route | null => {
    let r = routes.get(subject);
    if (r === undefined) {
      try {
        r = subjects.parseMarketData(subject) ?? null;
      } catch {
        r = null;
      }
      routes.set(subject, r);
    }
    return r;
  };
  const KIND = { 'md.trade': 'trade', 'md.quote': 'quote', 'md.bar': 'bar' } as const;
  return (subject, value) => {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const o = value as Readonly<Record<string, unknown>>;
    if ('toJSON' in o) return undefined;
    let fields = 0;
    for (const k in o) {
      if (Object.is(o[k], -0)) return undefined;
      fields++;
    }
    const msg = fastMarketData(o);
    if (msg === undefined || msg.venue !== asset.venue || msg.symbol !== asset.symbol) return undefined;
    // A field the schema drops still counts in the JSON's size: only the bytes can say OVERSIZE.
    if (fields !== ownFields(msg)) return undefined;
    const route = routeOf(subject);
    if (route === null || route.venue !== msg.venue || route.symbol !== msg.symbol || route.kind !== KIND[msg.type] || (msg.type === 'md.bar' && route.tf !== msg.tf)) return undefined;
    return msg;
  };
}

/**
 * One long-lived actor per venue × symbol: consumes `sx.md.<venue>.<sym>.>` in stream order,
 * refuses bad input at the edge (to `sx.dlq.asset`), updates the rolling features, and commits
 * each batch — history to the recorder, latest features and a snapshot to the feature store —
 * before the batch is acknowledged. A restarted actor resumes from its snapshot and skips the
 * redelivered messages the snapshot already holds, so its state equals an uninterrupted run.
 */
export async function startAssetActor(deps: AssetActorDeps, opts: AssetActorOptions): Promise<AssetActorHandle> {
  const { asset } = opts;
  const key = assetActorKey(asset);
  const log = deps.log.child({ actor: key });
  const gateOpts = { dedupWindow: opts.dedupWindow, outOfOrderToleranceMs: opts.outOfOrderToleranceMs };

  const snap = await deps.features.loadSnapshot(key);
  /** The features: an engine per bar timeframe (live streams carry 1m and 1h bars), ticks to each. */
  let engines: TimeframeEngines;
  let gate: ReturnType<typeof createTickGate>;
  let appliedSeq = 0;
  let rebuildTo = 0;
  if (snap !== undefined && snap.version === ASSET_SNAPSHOT_VERSION) {
    const s = snap.state as AssetState;
    engines = TimeframeEngines.fromState(s);
    gate = createTickGate(gateOpts, s.gate);
    appliedSeq = snap.streamSeq;
    rebuildTo = s.handledTo ?? 0;
    log.info({ streamSeq: appliedSeq, ...(rebuildTo > appliedSeq ? { rebuildingTo: rebuildTo } : {}) }, 'restored from snapshot');
  } else {
    engines = TimeframeEngines.create();
    gate = createTickGate(gateOpts);
  }
  /** Highest stream sequence applied to the in-memory state (ahead of `appliedSeq` while a batch commits). */
  let handledSeq = appliedSeq;
  const snapshotState = (): AssetState => ({ ...engines.toState(), gate: gate.toState(), ...(rebuildTo > handledSeq ? { handledTo: rebuildTo } : {}) });
  const ackFloor = await acknowledgedPast(deps.bus, opts, appliedSeq);
  if (ackFloor > 0) {
    // The durable has acknowledged messages the snapshot does not hold (the feature store lost
    // it: Redis restarted without persistence or lost its last writes; or it was of another
    // layout). Resuming at the acknowledgements would compute every feature from here on without
    // that history, silently. The durable starts over just after the snapshot instead (from the
    // stream's oldest message without one);
    // what it already acknowledged rebuilds the state and the (idempotent) history, and is
    // neither decided nor dead-lettered a second time. The floor is saved (with the state as it
    // is) before the durable that knows it is deleted.
    log.warn({ snapshotSeq: appliedSeq, ackFloor }, 'snapshot behind the acknowledged stream: replaying the stream from the snapshot to rebuild the state');
    deps.counters.rebuilds++;
    rebuildTo = Math.max(rebuildTo, ackFloor);
    await deps.features.writeBatch([], [[key, { version: ASSET_SNAPSHOT_VERSION, streamSeq: appliedSeq, ts: lastHandledTsOf(snap), state: snapshotState() }]]);
    await deps.bus.deleteConsumer(opts.stream, opts.durable);
  }

  const machine = createActor(assetMachine, {
    clock: deps.clock,
    input: { venue: asset.venue, symbol: asset.symbol, staleAfterMs: opts.staleAfterMs },
  });
  machine.subscribe((s) => log.debug({ state: s.value }, 'lifecycle'));
  machine.start();
  // A restored state is saved data: the machine hears of it as of a checkpoint, so an actor
  // restarted warm is live (it said warming until the next message), and its stale timer runs
  // from the start (with the feed down, it said warming for ever instead of turning stale).
  const restoredTs = lastHandledTsOf(snap);
  if (restoredTs >= 0) machine.send({ type: 'DATA', ts: restoredTs, warm: engines.warm() });

  const decodeBytes = createMarketDataDecoder({ maxPayloadBytes: opts.maxPayloadBytes, subjects: deps.subjects, isKnown: opts.isKnown });
  const acceptValue = inProcessAcceptor(asset, deps.subjects, opts.maxPayloadBytes, opts.isKnown);
  /** An in-process value (memory bus) the accept path takes as it is; anything else through the bytes, which decide and explain. */
  const decode = (d: InProcessDelivery): Accepted | Refusal => {
    const msg = d.value === undefined ? undefined : acceptValue(d.subject, d.value);
    return msg !== undefined ? { ok: true, msg } : decodeBytes(d.subject, d.data);
  };
  const dlqSubject = deps.subjects.dlq('asset');
  const featSubject = deps.subjects.features(asset.venue, asset.symbol);

  const aheadBound = opts.maxAheadMs === undefined ? undefined : engineClockBound(opts.maxAheadMs);
  const refuse = (d: Delivery, refusal: Refusal, ts: number, dlq: Promise<unknown>[]): void => {
    if (d.streamSeq <= rebuildTo) return; // refused and dead-lettered before the rebuild
    countRefusal(deps.counters, refusal.reason);
    log.warn({ reason: refusal.reason, detail: refusal.detail, subject: d.subject, seq: d.streamSeq }, 'refused');
    const entry = toDlqEntry({ source: 'asset', subject: d.subject, data: d.data, refusal, ts, streamSeq: d.streamSeq });
    dlq.push(deps.bus.publish(dlqSubject, encode(entry), { msgId: entry.id }));
  };

  /** `engine`: the one that took `source` (a bar's timeframe); ticks are answered by the primary one. */
  const vectorOf = (source: MarketData, engine: FeatureEngine = engines.primary): FeatureVector => {
    const values: Record<string, number | null> = engine.values();
    // A bar's vector carries its close: models read price-relative features against it.
    if (source.type === 'md.bar') values['close'] = source.close;
    return { type: 'feat.vector', v: 1, id: featureVectorId(source.id), venue: asset.venue, symbol: asset.symbol, ts: source.ts, source: source.id, values };
  };

  /** The newest batch's commit: each waits for the one before, so snapshots are stored in order. */
  let committing: Promise<void> = Promise.resolve();

  /** Event time of the newest accepted message handled (the checkpoints' snapshot `ts`; `handledSeq` is its stream sequence). */
  let lastHandledTs = lastHandledTsOf(snap);
  /** Messages accepted so far, and how many of them the lifecycle machine has been told of (DATA). */
  let acceptedTotal = 0;
  let acceptedTold = 0;
  /** What each checkpoint's snapshot covers, for the DATA sent once it is saved. */
  const dataOf = new WeakMap<ActorSnapshot, Readonly<{ accepted: number; ts: number; warm: boolean }>>();
  const checkpoints = createCheckpoints(
    {
      clock: deps.clock,
      snapshot: () => {
        const s: ActorSnapshot = {
          version: ASSET_SNAPSHOT_VERSION,
          streamSeq: handledSeq,
          ts: lastHandledTs,
          state: snapshotState(),
        };
        dataOf.set(s, { accepted: acceptedTotal, ts: lastHandledTs, warm: engines.warm() });
        return s;
      },
      ...(deps.decisions?.covered !== undefined ? { covered: deps.decisions.covered.bind(deps.decisions) } : {}),
      save: (vectors, snapshot) => deps.features.writeBatch(vectors, [[key, snapshot]]),
      saved: (snapshot, vectors) => {
        appliedSeq = snapshot.streamSeq;
        // The machine hears of data once per checkpoint, not per batch: a DATA event re-arms its
        // stale timer through xstate's scheduler, which per one-message live batch was a sixth of
        // everything the engine allocated. Staleness is declared at most a checkpoint's spacing
        // late (never early), and warming → live follows the checkpoint that saved the warm state.
        const data = dataOf.get(snapshot);
        if (data !== undefined && data.accepted > acceptedTold && machine.getSnapshot().status === 'active') {
          acceptedTold = data.accepted;
          machine.send({ type: 'DATA', ts: data.ts, warm: data.warm });
        }
        // sx.feat is core NATS (at most once) for dashboards and watchers: it carries the newest
        // vector once stored, after each checkpoint. Live, a checkpoint holds a bar or a few;
        // during catch-up the intermediate vectors are in the Redis history and PostgreSQL, not
        // re-broadcast one by one.
        const newest = vectors[vectors.length - 1];
        if (newest !== undefined && machine.getSnapshot().value !== 'halted') deps.bus.emit(featSubject, encodeCached(newest));
        deps.counters.featuresOut += vectors.length;
      },
      failed: (e) => failWith(e),
    },
    { messages: opts.batchSize, ms: opts.checkpointMs },
  );

  /** A batch's accepted messages and their stream sequences, between decoding and features (reused). */
  const accepted: MarketData[] = [];
  const acceptedSeqs: number[] = [];

  /**
   * Applies a batch to the in-memory state at once and returns its commit, which runs while the
   * next batch is handled: history and dead letters, the decisions, then the snapshot (taken
   * now), in batch order. The consumption acknowledges the batch when its commit is done.
   */
  const handleBatch = (batch: readonly Delivery[]): Deferred | undefined => {
    const trades: Trade[] = [];
    const quotes: Quote[] = [];
    const bars: Bar[] = [];
    const vectors: FeatureVector[] = [];
    const events: AssetEvent[] = [];
    const dlq: Promise<unknown>[] = [];
    let lastTick: MarketData | undefined;
    let lastTs = -1;
    let batchSeq = handledSeq;
    // Decode and validate the whole batch first, then update the features: the gate never reads
    // the features, so the order of effects on each is the same as message by message, and the
    // two steps can be timed apart (`probe`).
    accepted.length = 0;
    acceptedSeqs.length = 0;
    // One clock reading per batch, and only where the bound is set (live engines).
    const now = aheadBound === undefined ? 0 : deps.clock.now();
    for (const d of batch) {
      if (d.streamSeq <= handledSeq) continue; // already in the restored snapshot, or handled and committing
      batchSeq = d.streamSeq;
      deps.counters.messagesIn++;
      const decoded = decode(d);
      if (!decoded.ok) {
        refuse(d, decoded, lastTs < 0 ? deps.clock.now() : lastTs, dlq);
        continue;
      }
      const msg = decoded.msg;
      const ahead = aheadBound === undefined ? undefined : aheadOfClock(msg.ts, now, aheadBound);
      if (ahead !== undefined) {
        refuse(d, ahead, now, dlq); // dead-lettered at the clock's time, not the future one it names
        continue;
      }
      const refusal = gate.check(msg);
      if (refusal !== undefined) {
        refuse(d, refusal, msg.ts, dlq);
        continue;
      }
      gate.admit(msg);
      deps.counters.accepted++;
      acceptedTotal++;
      lastTs = msg.ts;
      accepted.push(msg);
      acceptedSeqs.push(d.streamSeq);
    }
    deps.probe?.decoded();
    for (let i = 0; i < accepted.length; i++) {
      const msg = accepted[i] as MarketData;
      const streamSeq = acceptedSeqs[i] as number;
      // Handled before a rebuild (at or below `rebuildTo`): decided then, not again.
      const decide = deps.decisions !== undefined && streamSeq > rebuildTo;
      switch (msg.type) {
        case 'md.bar': {
          const engine = engines.onBar(msg);
          bars.push(msg);
          const vector = vectorOf(msg, engine);
          vectors.push(vector);
          if (decide) events.push({ asset: key, streamSeq, md: msg, vector });
          lastTick = undefined;
          break;
        }
        case 'md.trade':
          engines.onTrade(msg);
          trades.push(msg);
          if (decide) events.push({ asset: key, streamSeq, md: msg, vector: undefined });
          lastTick = msg;
          break;
        case 'md.quote':
          engines.onQuote(msg);
          quotes.push(msg);
          if (decide) events.push({ asset: key, streamSeq, md: msg, vector: undefined });
          lastTick = msg;
          break;
      }
    }
    // Ticks move microstructure features many times a second: one vector per batch (the newest)
    // is produced for them, while every bar produces its own vector.
    if (lastTick !== undefined) vectors.push(vectorOf(lastTick));
    if (batchSeq === handledSeq) return undefined;
    handledSeq = batchSeq;
    if (lastTs >= 0) lastHandledTs = lastTs;

    // Order matters for exactly-once: history, dead letters and decisions first (all idempotent),
    // then the checkpoint (the vectors and a snapshot), then the ack. A crash between any two steps
    // replays from the older snapshot. The DLQ publishes must be settled before a snapshot past
    // them: one past a refusal whose entry was never stored would skip that message on replay and
    // lose the entry. Decisions too: a crash before the snapshot re-decides the batch, and the
    // decisions' deterministic ids make their second publication a duplicate the streams drop.
    // Everything is started before any await, so a failure is this batch's rather than an
    // unhandled rejection.
    const stored = Promise.all([deps.recorder.record({ trades, quotes, bars, features: vectors }), ...dlq]);
    const decided = deps.decisions !== undefined && events.length > 0 ? deps.decisions.push(key, events) : undefined;
    // Awaited below only once `stored` is: a refusal before that (the decision path stopped) is
    // this batch's failure all the same, not an unhandled rejection that would end the process.
    decided?.catch(() => {});
    const previous = committing;
    const committed = (async (): Promise<void> => {
      await stored;
      await decided;
      await previous; // an earlier batch that failed fails this one too
    })();
    committing = committed;
    committed.catch((e: unknown) => failWith(e));
    return checkpoints.batch(batch.length, vectors, committed);
  };

  let failure: unknown;
  /**
   * In-memory state may be ahead of the snapshot now: fail the actor so the supervisor restarts
   * it from the snapshot instead of continuing from a state nobody saved.
   */
  const failWith = (e: unknown): void => {
    if (failure !== undefined) return;
    failure = e;
    checkpoints.fail(e);
    log.error({ err: String(e) }, 'batch failed; actor stops for restart');
    queueMicrotask(() => void consumption.stop());
  };
  const consumption = deps.bus.consume(
    {
      stream: opts.stream,
      durable: opts.durable,
      filterSubject: deps.subjects.marketData(asset.venue, asset.symbol),
      batchSize: opts.batchSize,
      ackWaitMs: opts.ackWaitMs,
      // A durable made now (the first start, or after a rebuild deleted it) starts after the snapshot.
      startAfter: appliedSeq,
    },
    (batch) => {
      if (failure !== undefined) throw failure;
      try {
        return handleBatch(batch);
      } catch (e) {
        failWith(e);
        throw e;
      }
    },
  );

  const done = consumption.done.then(() => {
    machine.stop();
    if (failure !== undefined) throw failure;
  });

  return {
    key,
    stop: async () => {
      // Everything handled is saved now and every later batch at once, so the consumption's
      // wait for its outstanding acknowledgements ends.
      checkpoints.flush();
      await consumption.stop();
      await done.catch(() => {});
    },
    done,
    status: () => String(machine.getSnapshot().value),
    halt: (reason) => machine.send({ type: 'HALT', reason }),
    resume: () => machine.send({ type: 'RESUME' }),
    lastSeq: () => appliedSeq,
  };
}

/**
 * The durable's acknowledged stream sequence when it is past what the snapshot holds (`appliedSeq`),
 * else 0. A stream that does not exist yet has no acknowledgements (the consumption reports it).
 */
async function acknowledgedPast(bus: Pick<StreamAdmin, 'consumerInfo'>, opts: Pick<AssetActorOptions, 'stream' | 'durable'>, appliedSeq: number): Promise<number> {
  try {
    const position = await bus.consumerInfo(opts.stream, opts.durable);
    return position !== undefined && position.ackFloor > appliedSeq ? position.ackFloor : 0;
  } catch (e) {
    if (e instanceof StreamNotFoundError) return 0;
    throw e;
  }
}

/** The event time a usable snapshot covers, or -1. */
const lastHandledTsOf = (snap: ActorSnapshot | undefined): number => (snap !== undefined && snap.version === ASSET_SNAPSHOT_VERSION ? snap.ts : -1);

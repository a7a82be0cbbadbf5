import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { TimeseriesReader } from '../state/timeseries-store.js';
import type { TrainingSample, TrainingSampleStore } from '../state/training-sample-store.js';
import { subjectMatches } from '../streams/bus.js';
import type { Delivery, DurableConsumer, DurablePublisher, StreamAdmin } from '../streams/bus.js';
import { decodeText, encode } from '../streams/codec.js';
import type { Timeframe } from '../streams/messages/bar.js';
import { barId, TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { DlqEntry } from '../streams/messages/dlq-entry.js';
import { featureVectorId } from '../streams/messages/feature-vector.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { ExpirySchema } from '../streams/messages/expiry.js';
import type { Expiry } from '../streams/messages/expiry.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import type { Label } from '../streams/messages/label.js';
import { OrderSchema } from '../streams/messages/order.js';
import type { Order } from '../streams/messages/order.js';
import type { Outcome } from '../streams/messages/outcome.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import type { Prediction } from '../streams/messages/prediction.js';
import { RejectSchema } from '../streams/messages/reject.js';
import type { Reject } from '../streams/messages/reject.js';
import { SuggestionSchema } from '../streams/messages/suggestion.js';
import type { Suggestion } from '../streams/messages/suggestion.js';
import type { Subjects } from '../streams/subjects.js';
import { createMarketDataDecoder } from '../streams/validation/decode-market-data.js';
import { knownAssets } from '../streams/validation/known-assets.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { refuse } from '../streams/validation/refusal.js';
import type { Refusal } from '../streams/validation/refusal.js';
import { decodeInput } from '../models/execution/decode-input.js';
import type { PathBar } from '../models/labeling/excursions.js';
import { labelOutcome, missingBars } from '../models/labeling/label-outcome.js';
import type { LabelSpec } from '../models/labeling/label-spec.js';
import { createPendingHorizons } from '../models/labeling/pending-horizons.js';
import { DEFAULT_FILL_PRICE_TOLERANCE_BPS } from '../models/risk/fill-check.js';
import type { PendingItem } from '../models/labeling/pending-horizons.js';

export type LabelingActorDeps = Readonly<{
  /**
   * `deleteConsumer` retires the `_pred` and `_exec` SIGNALS durables of earlier versions at start;
   * `readFrom` and `readNewest` read what it published to OUTCOMES after its snapshot (see the actor); `readFrom` also
   * whether an asset's bar subject holds messages its consumer has not applied (see `refuseStalled`).
   */
  bus: DurablePublisher & DurableConsumer & Pick<StreamAdmin, 'deleteConsumer' | 'readFrom' | 'readNewest'>;
  subjects: Subjects;
  /**
   * Decision-time feature vectors (by id), bars older than the actor's buffer, and the newest
   * vector (or bar of its timeframe) stored of an asset (`lastTs`: whether the recorder got past a
   * vector, or a path bar, still missing).
   */
  timeseries: Pick<TimeseriesReader, 'bars' | 'features' | 'lastTs'>;
  samples: TrainingSampleStore;
  /** Stamps dead-letter entries only; labels run on event time. */
  clock: Clock;
  log: Logger;
  strategy: string;
  timeframe: Timeframe;
  spec: LabelSpec;
  /** Assets whose bars are consumed (one durable consumer each on `sx.md.<venue>.<sym>.bar.<tf>`). */
  assets: readonly Readonly<{ venue: string; symbol: string }>[];
  /** JetStream stream names (with the configured prefix). */
  streams: Readonly<{ MD: string; SIGNALS: string; OUTCOMES: string }>;
  batchSize: number;
  ackWaitMs: number;
  maxPayloadBytes: number;
  /**
   * How far past its limit (bps) a fill's price may be, as the risk actor books it
   * (`validation.fillPriceToleranceBps`; default 5): a fill the engine refuses is not an outcome.
   */
  fillPriceToleranceBps?: number;
  /**
   * How far from its `refPrice` (bps of it), or from the market at the fill's time (its bars: see
   * `createPendingHorizons`), a fill of a market order may be, as the risk actor
   * books a live consumer's (`validation.marketFillBandBps`). Give it only with the paper venue off:
   * left out, market fills are not checked against a price (the paper venue's are never refused).
   */
  marketFillBandBps?: number;
}>;

export type LabelingStats = {
  /** Messages received (predictions, execution messages, bars), each once: a redelivery of one already applied is not counted again. */
  received: number;
  /** Refused to the dead-letter subject (`<prefix>.dlq.labeling`): `unlabeled` and `refusedInputs` together. */
  refused: number;
  /**
   * Of `refused`, predictions and orders (refusals on their subjects: `subjects.allPredictions`,
   * `allOrders`): each got no label and no training sample. One that could not be read counts here
   * (it may have been one), as the demo's labeling line counts them (cli/commands/demo-labeling.ts).
   */
  unlabeled: number;
  /**
   * Of `refused`, the other input messages: market data its bar consumers refused (a malformed or
   * unknown bar, such as the demo's injected ones), fills, expiries …: no prediction or order lost a label.
   */
  refusedInputs: number;
  /** Redelivered messages at or below the committed sequence of their consumer, skipped. */
  skippedSeq: number;
  /** Predictions and orders labeled and committed. */
  labeled: number;
  samples: number;
  published: number;
  duplicates: number;
  /** Due items waiting for their feature vector, or for a bar of their path missing (a gap), to reach the timeseries store. */
  waitingFeatures: number;
  /** Items whose path was read from the timeseries store (they arrived after their bars left the buffer). */
  pathsFromStore: number;
  /** Predictions and orders received and not labeled yet (their horizon not passed, or waiting): what labeling has still to do. */
  pending: number;
  /** Orders re-published after their id left the remembered labeled ids, found labeled in the training-sample store: not labeled again. */
  relabelsSkipped: number;
  /**
   * Items refused (also in `refused`) because their asset had no bar up to their horizon while the
   * strategy's newest bar of any asset went `featureWaitBars` past it, and its own bar consumer had
   * nothing left on the market-data stream to read: a symbol that stopped trading.
   */
  noBarsRefused: number;
  /**
   * Items refused (also in `refused`) after waiting for the recorder (a vector or a bar of their path
   * not in the timeseries store) until the strategy's predictions of their asset went
   * `RECORDER_GONE_WAITS` × `featureWaitBars` bars past their horizon: the recorder stores nothing of it.
   */
  recorderGoneRefused: number;
};

export type LabelingActorHandle = Readonly<{
  key: string;
  strategy: string;
  /** Its durable consumers (the strategy's SIGNALS stream, one per asset's bars). */
  consumers: readonly Readonly<{ stream: string; durable: string }>[];
  /** Stops consuming; resolves after the batch in hand was committed and acknowledged. */
  stop(): Promise<void>;
  /** Crash stand-in: the batch in hand (if any) is neither committed nor acknowledged; nothing is flushed. */
  abort(): Promise<void>;
  /**
   * Settles again the items that wait (for the recorder's vector or path bars, or for their bar
   * consumer), as the next batch would, without one: at the end of the input (a replay over, the
   * engine stopping) no batch comes, and an item whose data the recorder stored since stayed
   * pending. Runs after the batch in hand; labels, refuses, publishes and commits as a batch does;
   * nothing when nothing waits. Event time only: it releases what the store now holds, and an item
   * whose wait is not over (its asset's bars short of it) still waits. Rejects when it fails (the
   * next batch starts again from the last commit).
   */
  recheck(): Promise<void>;
  stats(): Readonly<LabelingStats>;
  pendingIds(): string[];
  /** Settles when a consumer ends on an unrecoverable error. */
  done: Promise<void>;
}>;

export const labelingActorKey = (strategy: string): string => `labeling:${strategy}`;
const durableToken = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * An item waiting for the recorder (its vector, or a bar of its path, not in the timeseries store)
 * is refused once the strategy's predictions of its asset went this many times `featureWaitBars`
 * (at least 1) bars past its horizon, whatever the store says: the recorder stores nothing more of
 * the asset (down for good, or writing to another store), and the items would wait, in memory and
 * in every snapshot, for ever. The asset actor records each batch as it decides it (its vectors
 * with its next checkpoint, at most `consumer.batchSize` messages later) and stops for a restart
 * when a write fails, so its predictions run that far ahead of what is stored only when nothing
 * is stored any more: 100 × 24 bars by default, far beyond a batch of bars ahead.
 */
export const RECORDER_GONE_WAITS = 100;

type SignalInput = Prediction | Order | Fill | Suggestion | Reject | Expiry;
type InputKind = 'pred' | 'exec' | 'bar';
const PRED_SCHEMAS = { pred: PredictionSchema } as const;
/** `exec.expired` tells when an order's fills are all in (see `addExpiry` in pending-horizons): its label need not wait the fill grace. */
const EXEC_SCHEMAS = { 'exec.order': OrderSchema, 'exec.fill': FillSchema, 'exec.suggest': SuggestionSchema, 'exec.reject': RejectSchema, 'exec.expired': ExpirySchema } as const;

class Aborted extends Error {
  override readonly name = 'Aborted';
}

/**
 * The labeling actor of one strategy. Durable consumers: the SIGNALS stream (predictions
 * `sx.pred.>` and execution messages `sx.exec.>`, read by one consumer so that they arrive in the
 * order they were published: with one consumer each, a fast one could hand over predictions past
 * an order's fill grace before the other had handed over its fill, and the order was labeled
 * unfilled), and the bars of its timeframe per asset. Once a prediction's or
 * order's horizon has passed in event time (a bar at or after the horizon was seen for its
 * asset), it publishes `sx.outcome.…` and `sx.label.…` (ids `out:`/`lbl:` + the input id, as
 * `Nats-Msg-Id`), and upserts a training sample for each (kind `prediction` or `order`) with the
 * feature vector it was made from (an order: its decision bar's), read by id from the timeseries
 * store (the exact vector the model saw: point in time by construction, and no second feature
 * pipeline to keep in step with the asset actor).
 *
 * Every batch is applied, its due items labeled and published, then the samples and the
 * snapshot (pending horizons, held bars, consumer sequences, and the OUTCOMES sequence its
 * publishes reached) are committed in one transaction, and only then acknowledged. A restart
 * restores the snapshot; a redelivered message at or below the committed sequence of its consumer
 * is skipped, so each input is applied once and each item labeled once. A crash between publish
 * and commit labels the redelivered batch's items again: the restored actor first reads the
 * outcomes and labels of the strategy stored on OUTCOMES after the snapshot's sequence and does
 * not publish those again (however long after the crash it restarts: the stream's duplicate
 * window, 120 s by default, would not reach it); the sample upsert keeps one row. Without that
 * sequence (a first start, a snapshot of an earlier version) the stream's newest of the strategy
 * is the starting point, recorded by the first commit.
 */
export async function startLabelingActor(deps: LabelingActorDeps): Promise<LabelingActorHandle> {
  const { subjects, spec, strategy, timeframe } = deps;
  const key = labelingActorKey(strategy);
  const log = deps.log.child({ actor: key });
  const tfMs = TIMEFRAME_MS[timeframe];
  const featureIdOf = (venue: string, symbol: string, ts: number): string => featureVectorId(barId(venue, symbol, timeframe, ts));
  const stats: Omit<LabelingStats, 'pending'> = { received: 0, refused: 0, unlabeled: 0, refusedInputs: 0, skippedSeq: 0, labeled: 0, samples: 0, published: 0, duplicates: 0, waitingFeatures: 0, pathsFromStore: 0, relabelsSkipped: 0, noBarsRefused: 0, recorderGoneRefused: 0 };
  const base = `labeling_${durableToken(strategy)}`;
  /** The durable consumer of an asset's bars. */
  const barDurable = (venue: string, symbol: string): string => `${base}_bar_${durableToken(venue)}_${durableToken(symbol)}`;

  const ownOutcomes = [subjects.streamSubjects.OUTCOMES[0], subjects.streamSubjects.OUTCOMES[1]].map((f) => {
    if (f?.endsWith('.>') !== true) throw new Error('OUTCOMES stream subjects missing');
    return `${f.slice(0, -1)}${strategy}.>`;
  });
  /**
   * Outcome and label ids stored on OUTCOMES after the restored snapshot's `publishedThrough` (a
   * batch published them and its commit was lost), with their stream sequences: when the batch is
   * labeled again they are not published again. Read at each (re)load.
   */
  let unconfirmed = new Map<string, number>();
  const idOf = (data: Uint8Array): string | undefined => {
    try {
      const id = (JSON.parse(decodeText(data)) as { id?: unknown } | null)?.id;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  };
  const readUnconfirmed = async (from: number | undefined): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    if (from === undefined) return out;
    for (const filter of ownOutcomes) {
      let fromSeq = from + 1;
      for (;;) {
        const page = await deps.bus.readFrom(deps.streams.OUTCOMES, filter, { fromSeq });
        for (const m of page.messages) {
          const id = idOf(m.data); // not this actor's (unreadable): nothing it would publish
          if (id !== undefined) out.set(id, m.streamSeq);
        }
        const last = page.messages.at(-1);
        if (page.remaining <= 0 || last === undefined) break;
        fromSeq = last.streamSeq + 1;
      }
    }
    return out;
  };
  const newestOwn = async (): Promise<number> => {
    let newest = 0;
    for (const filter of ownOutcomes) newest = Math.max(newest, (await deps.bus.readNewest(deps.streams.OUTCOMES, filter, { max: 1 })).messages[0]?.streamSeq ?? 0);
    return newest;
  };
  /** The highest OUTCOMES sequence of this actor's own outcome and label publishes (acks) so far. */
  let publishedMax: number | undefined;

  const horizons = () => createPendingHorizons(tfMs, spec, deps.fillPriceToleranceBps ?? DEFAULT_FILL_PRICE_TOLERANCE_BPS, deps.marketFillBandBps ?? null);
  let state = horizons();
  const reload = async (): Promise<void> => {
    const next = horizons();
    const snap = await deps.samples.loadSnapshot(key);
    if (snap !== undefined) next.restore(snap, featureIdOf);
    unconfirmed = await readUnconfirmed(next.publishedThrough);
    if (unconfirmed.size > 0) log.warn({ count: unconfirmed.size, after: next.publishedThrough }, 'outcomes and labels published after the last commit: not published again');
    // Without a recorded sequence (a first start, a snapshot of an earlier version), what the stream
    // holds of the strategy now counts as covered, and the first commit records from there on.
    publishedMax = next.publishedThrough ?? (await newestOwn());
    state = next;
  };
  await reload();
  log.info({ pending: state.pendingCount }, 'labeling actor restored');

  const isKnown = knownAssets(deps.assets);
  const decodeBar = createMarketDataDecoder({ maxPayloadBytes: deps.maxPayloadBytes, subjects, isKnown });
  let aborted = false;
  let dirty = false;
  let chain: Promise<void> = Promise.resolve();

  /**
   * A batch that failed after its refusals (its commit did not happen) is redelivered and refused
   * again, to the same DLQ entries (their ids hold the stream sequence, or the item), which the
   * DLQ stream drops as duplicates. Each refusal is counted once, as the asset actor counts it (a
   * redelivery at or below its `handledSeq` is not counted again), so these two are not part of
   * the state a failed batch's reload rolls back. Per sequence key: the highest stream sequence
   * handled.
   */
  const handledSeq = new Map<string, number>();
  /** Items refused whose completion is not committed yet (a reload makes them pending again). */
  const refusedItems = new Set<string>();

  /** Whether a refusal on this subject leaves a prediction or an order unlabeled (see `unlabeled`). */
  const isItem = (subject: string): boolean => subjectMatches(subjects.allPredictions(), subject) || subjectMatches(subjects.allOrders(), subject);
  /** The DLQ entry of a refusal; counted (and logged) only when `fresh`, not when a redelivery refuses it again. */
  const dlqOf = (d: Pick<Delivery, 'subject' | 'data'> & { streamSeq?: number }, r: Refusal, fresh: boolean): DlqEntry => {
    if (fresh) {
      stats.refused++;
      if (isItem(d.subject)) stats.unlabeled++;
      else stats.refusedInputs++;
      log.warn({ subject: d.subject, reason: r.reason, detail: r.detail }, 'refused labeling input');
    }
    return toDlqEntry({ source: 'labeling', subject: d.subject, data: d.data, refusal: r, ts: deps.clock.now(), streamSeq: d.streamSeq });
  };

  /** Ids of the orders the batch in hand added to the pending items (see `dropStoredOrders`). */
  let addedOrders: string[] = [];

  /** Applies one delivery to the state; a refusal comes back as a DLQ entry (`fresh`: not handled before a reload). */
  const apply = (kind: InputKind, d: Delivery, fresh: boolean): DlqEntry | undefined => {
    if (fresh) stats.received++; // a redelivery after a failed commit is applied again, not received again
    if (kind === 'bar') {
      const r = decodeBar(d.subject, d.data);
      if (!r.ok) return dlqOf(d, r, fresh);
      if (r.msg.type !== 'md.bar' || r.msg.tf !== timeframe) return dlqOf(d, refuse('SUBJECT_MISMATCH', `expected a ${timeframe} bar, got ${r.msg.type}`), fresh);
      state.addBar(r.msg.venue, r.msg.symbol, r.msg);
      return undefined;
    }
    const r = decodeInput<SignalInput>(d.data, kind === 'pred' ? PRED_SCHEMAS : EXEC_SCHEMAS);
    if (!r.ok) return dlqOf(d, r, fresh);
    const m = r.msg;
    // A fill or an expiry (of any strategy) advances the fill watermark itself, kept or not.
    if (m.type === 'exec.fill') return void state.addFill(m);
    if (m.type === 'exec.expired') return void state.addExpiry(m);
    state.advanceExec(m.ts);
    if (m.strategy !== strategy || !isKnown(m.venue, m.symbol)) return undefined;
    if (m.type === 'pred') state.addPrediction(m, d.streamSeq);
    else if (m.type === 'exec.order' && state.addOrder(m, (t) => featureIdOf(m.venue, m.symbol, t), d.streamSeq) === 'added') addedOrders.push(m.id);
    return undefined;
  };

  /**
   * An order the state took as new may have been labeled long ago: its id left the remembered
   * labeled ids (the newest 1,024 to 2,048: `MAX_DONE` in pending-horizons), or a restart of the decision path re-published it. Its sample in the
   * store says so (a labeled order's sample is committed with the snapshot that completed it):
   * it is completed without a second outcome, label or sample. An order refused to the DLQ has
   * no sample and is not caught here.
   */
  const dropStoredOrders = async (ids: readonly string[]): Promise<void> => {
    const items = ids.flatMap((id) => {
      const it = state.item(id);
      return it === undefined ? [] : [it];
    });
    if (items.length === 0) return;
    const stored = await deps.samples.storedIds(strategy, items.map((it) => ({ venue: it.venue, symbol: it.symbol, ts: it.decisionTs, id: it.id })));
    for (const id of stored) {
      state.complete(id);
      stats.relabelsSkipped++;
      log.info({ id }, 'order re-published after it was labeled: not labeled again');
    }
  };

  const pathOf = async (item: PendingItem): Promise<PathBar[]> => {
    const need = state.barsIn(item.venue, item.symbol, item.decisionTs, item.horizonEnd);
    if (need.missingFrom === undefined) return [...need.held];
    stats.pathsFromStore++;
    const stored = await deps.timeseries.bars({ venue: item.venue, symbol: item.symbol, tf: timeframe, from: need.missingFrom, to: need.missingTo + 1 });
    const byTs = new Map<number, PathBar>();
    for (const b of stored) byTs.set(b.ts, b);
    for (const b of need.held) byTs.set(b.ts, b);
    return [...byTs.values()].sort((a, b) => a.ts - b.ts);
  };

  /**
   * The decision-time vectors of the due items, by id: one range read per asset (catch-up labels
   * hundreds per batch; one point read each was most of the cost). A prediction names its vector
   * (`source`, stamped with the prediction's time); an order the decision bar's.
   */
  const vectorsOf = async (items: readonly PendingItem[]): Promise<Map<string, FeatureVector>> => {
    const ranges = new Map<string, { venue: string; symbol: string; from: number; to: number }>();
    for (const item of items) {
      const at = item.kind === 'prediction' ? item.msg.ts : item.decisionTs;
      const k = `${item.venue}|${item.symbol}`;
      const r = ranges.get(k);
      if (r === undefined) ranges.set(k, { venue: item.venue, symbol: item.symbol, from: at, to: at + 1 });
      else {
        r.from = Math.min(r.from, at);
        r.to = Math.max(r.to, at + 1);
      }
    }
    const wanted = new Set(items.map((i) => i.featureId));
    const out = new Map<string, FeatureVector>();
    for (const r of ranges.values()) for (const v of await deps.timeseries.features(r)) if (wanted.has(v.id)) out.set(v.id, v);
    return out;
  };

  /**
   * An item that cannot be labeled goes to the DLQ as the message it was, keyed by that message's
   * stream sequence as every other refusal is (the same bytes stored twice are two entries). Its
   * reason is PROCESSING_FAILED: the message passed its schema when received, and what is missing
   * is data it points to (its decision-time vector, an `atr_14` in it, a bar of its path), not a
   * field of its own; SCHEMA sent an operator looking for a malformed publisher.
   */
  const refuseItem = (item: PendingItem, detail: string): DlqEntry => {
    const subject = item.kind === 'prediction' ? subjects.prediction(strategy, item.venue, item.symbol) : subjects.order(strategy, item.venue, item.symbol);
    const fresh = !refusedItems.has(item.id);
    refusedItems.add(item.id);
    return dlqOf({ subject, data: encode(item.msg), ...(item.streamSeq !== undefined ? { streamSeq: item.streamSeq } : {}) }, refuse('PROCESSING_FAILED', detail), fresh);
  };

  /**
   * Labels every due item; returns what to publish and store. Items whose vector or some bar of
   * whose path (a gap: a backfill may still bring it to the timeseries store), or for an order its
   * decision bar (its entry), is not stored yet wait, `featureWaitBars` past the horizon at most;
   * then they go to the DLQ, unlabeled. A missing vector waits also until the store holds a vector
   * of its asset that far past the horizon: the asset actor publishes its decisions while the
   * recorder writes their vectors, and in a replay or a catch-up this actor's bars (read straight
   * from the market-data stream) run far ahead of what the recorder has written. So does a path
   * with bars missing (read from the store: the item came after they left the buffer), until the
   * store holds a bar of its asset that far past the horizon. Neither waits once the strategy's
   * predictions of the asset are `RECORDER_GONE_WAITS` × `featureWaitBars` past the horizon (see there).
   */
  const settle = async (dlq: DlqEntry[]): Promise<{ out: (Outcome | Label)[]; samples: TrainingSample[] }> => {
    const out: (Outcome | Label)[] = [];
    const samples: TrainingSample[] = [];
    let waiting = 0;
    const due = state.due();
    const vectors = await vectorsOf(due);
    const newestVector = newestStored('features');
    const newestBar = newestStored('bars');
    const holds = (table: string, symbol: string, t: number): string => (t < 0 ? `it holds no ${table} of ${symbol}` : `it holds ${symbol}'s ${table} to ${new Date(t).toISOString()}`);
    for (const item of due) {
      let fv = vectors.get(item.featureId);
      const waitEnd = item.horizonEnd + spec.featureWaitBars * tfMs;
      const mayWait = state.watermark(item.venue, item.symbol) < waitEnd;
      const giveUp = item.horizonEnd + RECORDER_GONE_WAITS * Math.max(1, spec.featureWaitBars) * tfMs;
      const recorderGone = state.newestPrediction(item.venue, item.symbol) >= giveUp;
      /** Refused for a recorder that stores nothing of the asset (see `RECORDER_GONE_WAITS`). */
      const refuseGone = (what: string, table: string, recorded: number): void => {
        if (!refusedItems.has(item.id)) stats.recorderGoneRefused++; // a redelivered batch refuses it again: counted once
        const wait = RECORDER_GONE_WAITS * Math.max(1, spec.featureWaitBars);
        dlq.push(refuseItem(item, `${what} not in the timeseries store while the strategy's predictions of ${item.symbol} went ${wait} bars past the horizon: the recorder stores nothing of it (${holds(table, item.symbol, recorded)}); is it running and writing to this store?`));
        state.complete(item.id);
      };
      if (fv === undefined) {
        const recorded = mayWait ? -1 : await newestVector(item.venue, item.symbol);
        if (recorded < waitEnd && recorderGone) {
          refuseGone(`feature vector ${item.featureId}`, 'vectors', recorded);
          continue;
        }
        if (recorded < waitEnd) {
          waiting++;
          continue;
        }
        // The newest vector was read after this one: a recorder commit that landed in between (a
        // catch-up's batch after an outage stores the vector with those past the wait) holds it.
        fv = (await vectorsOf([item])).get(item.featureId);
        if (fv === undefined) {
          dlq.push(refuseItem(item, `feature vector ${item.featureId} not in the timeseries store ${spec.featureWaitBars} bars after the horizon (${holds('vectors', item.symbol, recorded)})`));
          state.complete(item.id);
          continue;
        }
      }
      let bars = await pathOf(item);
      let gap = missingBars(item, bars);
      // A missing bar waits as a missing vector does: until the recorder got past the wait.
      const recordedBar = gap > 0 && !mayWait ? await newestBar(item.venue, item.symbol) : -1;
      if (gap > 0 && recordedBar >= waitEnd) {
        // Read again for the same reason: the path was read before the newest bar was.
        bars = await pathOf(item);
        gap = missingBars(item, bars);
      }
      if (gap > 0 && recordedBar < waitEnd && recorderGone) {
        refuseGone(`${gap} bar(s) of the path of ${item.symbol} from ${new Date(item.decisionTs).toISOString()}`, 'bars', recordedBar);
        continue;
      }
      if (gap > 0 && recordedBar < waitEnd) {
        waiting++;
        continue;
      }
      const atr = fv.values['atr_14'];
      const r = labelOutcome({ item, bars, atr: atr ?? Number.NaN, fills: item.kind === 'order' ? state.fillsOf(item) : [], spec });
      state.complete(item.id);
      if ('refused' in r) {
        dlq.push(refuseItem(item, r.refused));
        continue;
      }
      out.push(r.outcome, r.label);
      const base = {
        strategy, venue: item.venue, symbol: item.symbol, ts: item.decisionTs, labeledTs: r.label.ts, featureId: fv.id, features: fv.values,
        label: r.label.label, barrier: r.label.barrier, outcomeClass: r.label.outcomeClass, forwardReturn: r.label.forwardReturn,
        netReturnBps: r.label.netReturnBps, horizonBars: item.horizonBars,
      };
      if (item.kind === 'prediction') samples.push({ ...base, id: item.msg.id, kind: 'prediction', model: item.msg.model, featureSpecHash: item.msg.featureSpecHash });
      else samples.push({ ...base, id: item.msg.id, kind: 'order', model: null, featureSpecHash: null, side: item.msg.side });
    }
    waiting += await refuseStalled(dlq);
    stats.waitingFeatures = waiting;
    state.evict();
    return { out, samples };
  };

  /**
   * For one batch: per asset, the event time of the newest feature vector (or bar of the strategy's
   * timeframe) the timeseries store holds (−1 none), read once, when a due item's vector (or a bar
   * of its path) is missing past its wait. Only one stored past that item's wait shows the recorder
   * got past it without storing it; until then it may be on its way (see `settle`). Bars of another
   * timeframe say nothing of it: a store holding 1m bars to 11:59 may hold the 1h bars to 10:00 only.
   */
  const newestStored = (table: 'features' | 'bars'): ((venue: string, symbol: string) => Promise<number>) => {
    const read = new Map<string, number>();
    const newest = (venue: string, symbol: string): Promise<number | undefined> =>
      table === 'bars' ? deps.timeseries.lastTs('bars', venue, symbol, timeframe) : deps.timeseries.lastTs(table, venue, symbol);
    return async (venue, symbol) => {
      const k = `${venue}|${symbol}`;
      let t = read.get(k);
      if (t === undefined) read.set(k, (t = (await newest(venue, symbol)) ?? -1));
      return t;
    };
  };

  /** Per asset, the stream sequence of a message on its bar subject that its consumer had not applied when last read (see `refuseStalled`). */
  const unreadBar = new Map<string, number>();
  /**
   * Whether the market-data stream holds a message on the asset's bar subject after the last its
   * own consumer applied: that consumer is behind (another asset's ran ahead), whatever the
   * message is. Not the newest message's bar time: after a replay a malformed or out-of-order
   * message may be the newest (the demo's injected faults are), and read as "no newer bar" it got
   * the asset's items refused as stalled while its consumer still had hours of bars to read.
   */
  const barsUnread = async (venue: string, symbol: string): Promise<boolean> => {
    const k = `${venue}|${symbol}`;
    const applied = state.seenSeq(barDurable(venue, symbol));
    const known = unreadBar.get(k);
    // Not applied yet when last read: no need to read the stream again.
    if (known !== undefined && applied < known) return true;
    const m = (await deps.bus.readFrom(deps.streams.MD, subjects.bar(venue, symbol, timeframe), { fromSeq: applied + 1, max: 1 })).messages[0];
    if (m === undefined || m.streamSeq <= applied) {
      unreadBar.delete(k);
      return false;
    }
    unreadBar.set(k, m.streamSeq);
    return true;
  };

  /**
   * Items whose asset stopped having bars (`stalled`: the strategy's newest bar of any asset is
   * `featureWaitBars` past their horizon, theirs is not at it) go to the DLQ, unlabeled, unless the
   * asset's own bar consumer has messages left on the market-data stream (after the last it
   * applied): it is only behind (a catch-up, a consumer slower than the others), and they wait.
   * Returns how many wait. The stream, not the timeseries store: the recorder may lag the stream
   * by far, and a store that holds bars the stream never carried (a backfill) gives this actor no
   * bar to label with either.
   */
  const refuseStalled = async (dlq: DlqEntry[]): Promise<number> => {
    let waiting = 0;
    for (const item of state.stalled(spec.featureWaitBars)) {
      const wm = state.watermark(item.venue, item.symbol);
      if (await barsUnread(item.venue, item.symbol)) {
        waiting++;
        continue;
      }
      if (!refusedItems.has(item.id)) stats.noBarsRefused++; // a redelivered batch refuses it again: counted once
      const since = wm < 0 ? 'none seen' : `none after ${new Date(wm).toISOString()}`;
      dlq.push(refuseItem(item, `no data: no ${timeframe} bar of ${item.venue} ${item.symbol} up to the horizon ${new Date(item.horizonEnd).toISOString()} (${since}) while the strategy's other assets went ${spec.featureWaitBars} bars past it`));
      state.complete(item.id);
    }
    return waiting;
  };

  /** Publishes a batch's outcomes, labels and dead letters; one already stored on OUTCOMES by a batch whose commit was lost counts as a duplicate, unsent. */
  const publishAll = async (out: readonly (Outcome | Label)[], dlq: readonly DlqEntry[]): Promise<void> => {
    const fresh = out.filter((m) => !unconfirmed.has(m.id));
    for (const m of out) {
      if (!unconfirmed.delete(m.id)) continue;
      stats.published++;
      stats.duplicates++;
    }
    const outAcks = fresh.map((m) => {
      const subject = m.type === 'outcome' ? subjects.outcome(m.strategy, m.venue, m.symbol) : subjects.label(m.strategy, m.venue, m.symbol);
      return deps.bus.publish(subject, encode(m), { msgId: m.id });
    });
    const dlqAcks = dlq.map((e) => deps.bus.publish(subjects.dlq('labeling'), encode(e), { msgId: e.id }));
    const [outs, dlqs] = await Promise.all([Promise.all(outAcks), Promise.all(dlqAcks)]);
    for (const a of [...outs, ...dlqs]) {
      stats.published++;
      if (a.duplicate) stats.duplicates++;
    }
    for (const a of outs) publishedMax = Math.max(publishedMax ?? 0, a.seq);
  };

  /**
   * What the commit records as `publishedThrough`: the newest own publish, but below any message
   * read back as unconfirmed whose item is not labeled again yet, so that a restart before it is
   * still reads it.
   */
  const publishedThrough = (): number | undefined => {
    if (unconfirmed.size === 0) return publishedMax;
    return Math.min(publishedMax ?? Infinity, ...[...unconfirmed.values()].map((seq) => seq - 1));
  };

  type KindOf = (d: Delivery) => Readonly<{ kind: InputKind; seqKey: string }>;

  /** Applies a batch's deliveries to the state; refusals go to `dlq`. */
  const applyBatch = (batch: readonly Delivery[], kindOf: KindOf, dlq: DlqEntry[]): void => {
    for (const d of batch) {
      const { kind, seqKey } = kindOf(d);
      if (d.streamSeq <= state.seenSeq(seqKey)) {
        stats.skippedSeq++;
        continue;
      }
      const fresh = d.streamSeq > (handledSeq.get(seqKey) ?? 0);
      const e = apply(kind, d, fresh);
      if (e !== undefined) dlq.push(e);
      state.setSeq(seqKey, d.streamSeq);
      if (fresh) handledSeq.set(seqKey, d.streamSeq);
    }
  };

  /**
   * One turn of the actor, after the one before: applies a batch (`input`; none for a re-check),
   * labels what is due, publishes, then commits. A re-check runs only while items wait, and one
   * that labeled and refused nothing commits nothing.
   */
  const step = (input: ((dlq: DlqEntry[]) => void) | undefined): Promise<void> => {
    const run = chain.then(async () => {
      if (aborted) throw new Aborted('labeling actor aborted');
      if (input === undefined && !dirty && stats.waitingFeatures === 0) return;
      if (dirty) {
        await reload(); // the last batch failed after changing the state: start again from the last commit
        dirty = false;
      }
      try {
        const dlq: DlqEntry[] = [];
        addedOrders = [];
        input?.(dlq);
        await dropStoredOrders(addedOrders);
        const { out, samples } = await settle(dlq);
        if (input === undefined && out.length === 0 && dlq.length === 0) return;
        if (aborted) throw new Aborted('labeling actor aborted');
        await publishAll(out, dlq);
        if (aborted) throw new Aborted('labeling actor aborted');
        const through = publishedThrough();
        if (through !== undefined) state.setPublishedThrough(through);
        const wm = Math.max(0, ...deps.assets.map((a) => state.watermark(a.venue, a.symbol)));
        stats.samples += await deps.samples.commit({ samples, snapshot: { actor: key, state: state.snapshot(), ts: wm } });
        stats.labeled += out.length / 2; // counted once committed: a crash before this labels them again
        if (refusedItems.size > 0) {
          // Completed in the committed state: refused for good, never again.
          const pending = new Set(state.pendingIds());
          for (const id of refusedItems) if (!pending.has(id)) refusedItems.delete(id);
        }
      } catch (e) {
        dirty = true;
        if (!(e instanceof Aborted)) log.error({ err: String(e) }, input === undefined ? 'labeling re-check failed; the next batch starts again from the last commit' : 'labeling batch failed; it will be redelivered');
        throw e;
      }
    });
    chain = run.catch(() => {});
    return run;
  };

  /**
   * `kindOf` tells a delivery's input kind and the key its stream sequence is kept under: per kind
   * on SIGNALS (`<base>_pred`, `<base>_exec`, the durables of earlier versions, so that their
   * snapshots resume where they were), per durable for bars.
   */
  const handler = (kindOf: KindOf) => (batch: readonly Delivery[]): Promise<void> => step((dlq) => applyBatch(batch, kindOf, dlq));

  const common = { batchSize: deps.batchSize, ackWaitMs: deps.ackWaitMs };
  const predSubjects = subjects.streamSubjects.SIGNALS[0];
  if (predSubjects === undefined) throw new Error('SIGNALS stream subjects missing');
  const [predKey, execKey] = [`${base}_pred`, `${base}_exec`];
  const signalsKind = (d: Delivery): Readonly<{ kind: InputKind; seqKey: string }> =>
    subjectMatches(predSubjects, d.subject) ? { kind: 'pred', seqKey: predKey } : { kind: 'exec', seqKey: execKey };
  // A snapshot of an earlier version holds how far each of its two SIGNALS durables got: the one
  // consumer starts after the lesser, and the per-kind sequences skip what the other had applied.
  const signalsFloor = Math.min(state.seenSeq(predKey), state.seenSeq(execKey));
  const specs = [
    {
      kindOf: signalsKind,
      // No filter: SIGNALS holds `pred.>` and `exec.>` only, and both are read here.
      spec: { stream: deps.streams.SIGNALS, durable: `${base}_signals`, filterSubject: '', ...common, ...(signalsFloor > 0 ? { startAfter: signalsFloor } : {}) },
    },
    ...deps.assets.map((a) => {
      const durable = barDurable(a.venue, a.symbol);
      return { kindOf: () => ({ kind: 'bar' as const, seqKey: durable }), spec: { stream: deps.streams.MD, durable, filterSubject: subjects.bar(a.venue, a.symbol, timeframe), ...common } };
    }),
  ];
  for (const durable of [predKey, execKey]) {
    // Retired: left in place they would hold the stream's messages for nobody.
    await deps.bus.deleteConsumer(deps.streams.SIGNALS, durable).catch((e: unknown) => log.warn({ err: String(e), durable }, 'could not delete a retired labeling consumer'));
  }
  const consumptions = specs.map((s) => deps.bus.consume(s.spec, handler(s.kindOf)));
  log.info({ consumers: consumptions.length }, 'labeling actor started');
  const done = Promise.all(consumptions.map((c) => c.done)).then(() => undefined);
  done.catch((e: unknown) => log.error({ err: String(e) }, 'labeling consumer ended'));

  return {
    key,
    strategy,
    consumers: specs.map((s) => ({ stream: s.spec.stream, durable: s.spec.durable })),
    stop: async () => {
      await Promise.all(consumptions.map((c) => c.stop()));
      await chain;
    },
    abort: async () => {
      aborted = true;
      await Promise.all(consumptions.map((c) => c.stop().catch(() => {})));
      await chain;
    },
    recheck: () => step(undefined),
    stats: () => ({ ...stats, pending: state.pendingCount }),
    pendingIds: () => state.pendingIds(),
    done,
  };
}

import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { CoreSubscriber, DurablePublisher, Subscription } from '../streams/bus.js';
import { decodeText, encode } from '../streams/codec.js';
import type { RefusalReason } from '../streams/messages/dlq-entry.js';
import type { Timeframe } from '../streams/messages/bar.js';
import { barId } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { FeatureVectorSchema } from '../streams/messages/feature-vector.js';
import type { Prediction } from '../streams/messages/prediction.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import type { Subjects } from '../streams/subjects.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { refuse, schemaIssues } from '../streams/validation/refusal.js';
import type { StrategyCore, StrategyModel, StrategyStats } from '../models/inference/strategy-core.js';

export { createStrategyCore, CoreSkip } from '../models/inference/strategy-core.js';
export type { StrategyCore, StrategyCoreOptions, StrategyCoreState, StrategyModel, StrategyStats } from '../models/inference/strategy-core.js';

export type StrategyActorDeps = Readonly<{
  bus: DurablePublisher & CoreSubscriber;
  subjects: Subjects;
  /** Stamps dead-letter entries of refused vectors (which carry no trustworthy event time). */
  clock: Clock;
  log: Logger;
}>;

export type StrategyActorOptions = Readonly<{
  core: StrategyCore;
  /**
   * Subscribe to every asset's `sx.feat.…` (default). False when the engine hands vectors over
   * in-process with {@link StrategyActorHandle.push} (backtests, the embedded demo).
   */
  subscribe?: boolean;
  /** Assets this strategy trades (default: all). */
  accepts?: (venue: string, symbol: string) => boolean;
  /** Most vectors per core batch (default 4,096). */
  maxBatch?: number;
  /**
   * Score only vectors computed from a bar of this timeframe (whose `source` is that bar's id),
   * as the engine's decision path does. A sequence model needs it wherever vectors of trades and
   * quotes arrive too: its window is consecutive bars, and a tick's vector would break it.
   */
  timeframe?: Timeframe;
}>;

export type StrategyActorStats = StrategyStats &
  Readonly<{ received: number; refused: Readonly<Partial<Record<RefusalReason, number>>>; published: number; publishFailures: number; batchFailures: number }>;

export type StrategyActorHandle = Readonly<{
  key: string;
  /** Queues vectors for the next batch; batches form from whatever arrived while the last one ran. */
  push(vectors: readonly FeatureVector[]): void;
  /** Resolves when everything pushed so far has been scored and published. */
  idle(): Promise<void>;
  /**
   * Swaps the model after every vector pushed (or received) before this call and before every
   * later one; resolves with the old model once in effect (the caller disposes its runtime).
   */
  swapModel(model: StrategyModel): Promise<StrategyModel>;
  /** Unsubscribes and waits for the batches in hand. */
  stop(): Promise<void>;
  stats(): StrategyActorStats;
}>;

export const strategyActorKey = (strategy: string): string => `strategy:${strategy}`;

/**
 * A strategy actor: feature vectors in (from `sx.feat.>` or pushed by the engine), batched
 * inference through the deterministic {@link StrategyCore}, predictions out on
 * `sx.pred.<strategy>.<venue>.<sym>` with `Nats-Msg-Id` = prediction id, so a vector scored
 * twice (a redelivery, a second replica) stores one prediction.
 *
 * Vectors arriving while a batch is scored wait and form the next batch: under load batches
 * grow and the per-call cost of inference is shared; when quiet, each vector is scored at once.
 * A failed batch (model error) is logged and counted; the actor keeps running.
 */
export function startStrategyActor(deps: StrategyActorDeps, opts: StrategyActorOptions): StrategyActorHandle {
  const { core } = opts;
  const key = strategyActorKey(core.strategy);
  const log = deps.log.child({ actor: key });
  const maxBatch = opts.maxBatch ?? 4096;
  const accepts = opts.accepts ?? (() => true);
  const tf = opts.timeframe;
  const wanted = (v: FeatureVector): boolean => accepts(v.venue, v.symbol) && (tf === undefined || v.source === barId(v.venue, v.symbol, tf, v.ts));
  const dlqSubject = deps.subjects.dlq('strategy');
  const own = { received: 0, refused: {} as Partial<Record<RefusalReason, number>>, published: 0, publishFailures: 0, batchFailures: 0 };

  // Vectors and model swaps in arrival order: a swap applies after every vector pushed before it
  // and before every vector pushed after it.
  type Swap = { model: StrategyModel; resolve: (old: StrategyModel) => void; reject: (e: unknown) => void };
  let pending: (FeatureVector | Swap)[] = [];
  /** Index of the first unprocessed entry: taking a batch is O(batch), not O(backlog). */
  let next = 0;
  let pumping: Promise<void> | undefined;
  const isSwap = (x: FeatureVector | Swap): x is Swap => 'resolve' in x;

  const publishAll = async (preds: readonly Prediction[]): Promise<void> => {
    const acks: Promise<unknown>[] = [];
    for (const p of preds) {
      const checked = PredictionSchema.safeParse(p);
      if (!checked.success) {
        // A bug, not bad input: never publish a prediction a consumer would refuse.
        own.publishFailures++;
        log.error({ id: p.id, issues: checked.error.issues.slice(0, 3) }, 'prediction fails its schema; not published');
        continue;
      }
      const subject = deps.subjects.prediction(p.strategy, p.venue, p.symbol);
      acks.push(
        deps.bus.publish(subject, encode(p), { msgId: p.id }).then(
          () => void own.published++,
          (e: unknown) => {
            own.publishFailures++;
            log.error({ id: p.id, err: String(e) }, 'prediction publish failed');
          },
        ),
      );
    }
    await Promise.all(acks);
  };

  const pump = async (): Promise<void> => {
    await Promise.resolve(); // let vectors delivered in the same tick join this batch
    while (next < pending.length) {
      const head = pending[next] as FeatureVector | Swap;
      if (isSwap(head)) {
        next++;
        try {
          const old = await core.swapModel(head.model);
          log.info({ from: { name: old.name, version: old.version }, to: core.model() }, 'model swapped');
          head.resolve(old);
        } catch (e) {
          head.reject(e);
        }
        continue;
      }
      let end = next;
      while (end < pending.length && end - next < maxBatch && !isSwap(pending[end] as FeatureVector | Swap)) end++;
      const batch = pending.slice(next, end) as FeatureVector[];
      next = end;
      if (next === pending.length) {
        pending = [];
        next = 0;
      } else if (next > 65_536 && next * 2 > pending.length) {
        pending = pending.slice(next);
        next = 0;
      }
      try {
        await publishAll(await core.onFeatures(batch));
      } catch (e) {
        own.batchFailures++;
        log.error({ err: String(e), vectors: batch.length }, 'strategy batch failed');
      }
    }
    pumping = undefined;
  };

  const push = (vectors: readonly FeatureVector[]): void => {
    for (const v of vectors) if (wanted(v)) pending.push(v);
    if (pumping === undefined && next < pending.length) pumping = pump();
  };

  const refuseMsg = (subject: string, data: Uint8Array, reason: RefusalReason, detail: string): void => {
    own.refused[reason] = (own.refused[reason] ?? 0) + 1;
    log.warn({ subject, reason, detail }, 'refused feature vector');
    const entry = toDlqEntry({ source: 'strategy', subject, data, refusal: refuse(reason, detail), ts: deps.clock.now() });
    deps.bus.publish(dlqSubject, encode(entry), { msgId: entry.id }).catch((e: unknown) => log.error({ err: String(e) }, 'dlq publish failed'));
  };

  const onMessage = (subject: string, data: Uint8Array): void => {
    own.received++;
    let json: unknown;
    try {
      json = JSON.parse(decodeText(data));
    } catch (e) {
      refuseMsg(subject, data, 'MALFORMED_JSON', String(e));
      return;
    }
    const parsed = FeatureVectorSchema.safeParse(json);
    if (!parsed.success) {
      refuseMsg(subject, data, 'SCHEMA', schemaIssues(parsed.error.issues));
      return;
    }
    const v = parsed.data;
    let expected: string;
    try {
      expected = deps.subjects.features(v.venue, v.symbol);
    } catch (e) {
      refuseMsg(subject, data, 'SCHEMA', String(e));
      return;
    }
    if (expected !== subject) {
      refuseMsg(subject, data, 'SUBJECT_MISMATCH', `vector of ${v.venue} ${v.symbol} on ${subject}`);
      return;
    }
    push([v]);
  };

  let sub: Subscription | undefined = opts.subscribe === false ? undefined : deps.bus.subscribe(deps.subjects.allFeatures(), onMessage);
  log.info({ model: core.model() }, 'strategy actor started');

  const idle = async (): Promise<void> => {
    while (pumping !== undefined) await pumping;
  };

  return {
    key,
    push,
    idle,
    swapModel: (model) =>
      new Promise<StrategyModel>((resolve, reject) => {
        pending.push({ model, resolve, reject });
        if (pumping === undefined) pumping = pump();
      }),
    stop: async () => {
      sub?.unsubscribe();
      sub = undefined;
      await idle();
    },
    stats: () => ({ ...core.stats(), ...own, refused: { ...own.refused } }),
  };
}

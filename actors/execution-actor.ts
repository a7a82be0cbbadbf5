import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { ConsumerSpec, Consumption, Delivery, DurableConsumer, DurablePublisher } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { BarSchema } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { FeatureVectorSchema } from '../streams/messages/feature-vector.js';
import type { Expiry } from '../streams/messages/expiry.js';
import { ExpirySchema } from '../streams/messages/expiry.js';
import type { Fill } from '../streams/messages/fill.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { MarketData } from '../streams/messages/market-data.js';
import { knownAt } from '../streams/messages/market-data.js';
import type { Prediction } from '../streams/messages/prediction.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import { QuoteSchema } from '../streams/messages/quote.js';
import type { Reject } from '../streams/messages/reject.js';
import { RejectSchema } from '../streams/messages/reject.js';
import type { Suggestion } from '../streams/messages/suggestion.js';
import { SuggestionSchema } from '../streams/messages/suggestion.js';
import { TradeSchema } from '../streams/messages/trade.js';
import type { Subjects } from '../streams/subjects.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { refuse } from '../streams/validation/refusal.js';
import { RefusalReason } from '../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../streams/messages/dlq-entry.js';
import type { ExecutionCore, ExecutionStats } from '../models/execution/execution-core.js';
import { decodeInput } from '../models/execution/decode-input.js';

export { createExecutionCore, parentOrderId, assetKey } from '../models/execution/execution-core.js';
export type { ExecutionCore, ExecutionCoreOptions, ExecutionStats, AssetView, ParentView } from '../models/execution/execution-core.js';

/** Everything the execution actor reacts to, each tagged by its `type`. */
export type ExecutionInput = Prediction | Fill | Expiry | Reject | MarketData | FeatureVector;

const SCHEMAS = {
  pred: PredictionSchema,
  'exec.fill': FillSchema,
  'exec.expired': ExpirySchema,
  'exec.reject': RejectSchema,
  'md.trade': TradeSchema,
  'md.quote': QuoteSchema,
  'md.bar': BarSchema,
  'feat.vector': FeatureVectorSchema,
} as const;

export type ExecutionActorDeps = Readonly<{
  bus: DurablePublisher & DurableConsumer;
  subjects: Subjects;
  /** Stamps dead-letter entries only; decisions run on event time. */
  clock: Clock;
  log: Logger;
}>;

export type ExecutionActorOptions = Readonly<{
  core: ExecutionCore;
  /**
   * Durable consumers to read inputs from (predictions, fills, expiries, rejects, market data); none when
   * the engine hands inputs over in event order with {@link ExecutionActorHandle.push}, which is
   * what a backtest and the decision path behind the event sequencer do.
   */
  consumers?: readonly ConsumerSpec[];
}>;

export type ExecutionActorStats = ExecutionStats & Readonly<{ received: number; refused: number; published: number; publishFailures: number }>;

export type ExecutionActorHandle = Readonly<{
  key: string;
  /** Handles inputs in the order given and resolves once their suggestions are published. */
  push(inputs: readonly ExecutionInput[]): Promise<void>;
  stop(): Promise<void>;
  stats(): ExecutionActorStats;
}>;

export const executionActorKey = (strategy: string): string => `execution:${strategy}`;

/** Event time of an input: bars carry their open time, every other message its own `ts`. */
const tsOf = (m: ExecutionInput): number => m.ts;

/**
 * The execution actor: wires an {@link ExecutionCore} to the Bus. Before each input the core's
 * event-time timers run (`onTime(input.ts)`), so children fall due exactly as in a replay; the
 * suggestions are published on `sx.exec.suggest.<strategy>.<venue>.<sym>` with `Nats-Msg-Id` =
 * suggestion id, so a redelivered prediction never suggests twice. Inputs are handled one batch
 * at a time, in order; a consumed batch is acknowledged after its suggestions were stored.
 */
export function startExecutionActor(deps: ExecutionActorDeps, opts: ExecutionActorOptions): ExecutionActorHandle {
  const { core } = opts;
  const key = executionActorKey(core.strategy);
  const log = deps.log.child({ actor: key });
  const own = { received: 0, refused: 0, published: 0, publishFailures: 0 };
  let chain: Promise<void> = Promise.resolve();

  const publish = async (out: readonly Suggestion[]): Promise<void> => {
    const acks: Promise<void>[] = [];
    for (const s of out) {
      const checked = SuggestionSchema.safeParse(s);
      if (!checked.success) {
        own.publishFailures++;
        log.error({ id: s.id, issues: checked.error.issues.slice(0, 3) }, 'suggestion fails its schema; not published');
        continue;
      }
      acks.push(
        deps.bus.publish(deps.subjects.suggestion(s.strategy, s.venue, s.symbol), encode(s), { msgId: s.id }).then(
          () => void own.published++,
          (e: unknown) => {
            own.publishFailures++;
            throw e;
          },
        ),
      );
    }
    await Promise.all(acks);
  };

  const handle = (m: ExecutionInput): Suggestion[] => {
    own.received++;
    // Market data first, as the decision path does: what the event makes known (a bar's close) counts
    // for the children falling due at it.
    const market = m.type === 'md.bar' || m.type === 'md.trade' || m.type === 'md.quote';
    if (market) core.onMarket(m);
    const out = [...core.onTime(tsOf(m), market ? knownAt(m) : undefined)];
    if (market) return out;
    switch (m.type) {
      case 'pred':
        out.push(...core.onPrediction(m, m.ts));
        break;
      case 'exec.fill':
        core.onFill(m);
        break;
      case 'exec.expired':
        core.onExpired(m);
        break;
      case 'exec.reject':
        core.onReject(m);
        break;
      case 'feat.vector':
        core.onFeatures(m);
        break;
    }
    return out;
  };

  /** The subject an input travels on, for its dead letter. */
  const subjectOf = (m: ExecutionInput): string => {
    const s = deps.subjects;
    try {
      switch (m.type) {
        case 'pred':
          return s.prediction(m.strategy, m.venue, m.symbol);
        case 'exec.fill':
          return s.fill(m.venue, m.symbol);
        case 'exec.expired':
          return s.expired(m.venue, m.symbol);
        case 'exec.reject':
          return s.reject(m.strategy, m.venue, m.symbol);
        case 'feat.vector':
          return s.features(m.venue, m.symbol);
        case 'md.bar':
          return s.bar(m.venue, m.symbol, m.tf);
        case 'md.trade':
          return s.trade(m.venue, m.symbol);
        default:
          return s.quote(m.venue, m.symbol);
      }
    } catch {
      return `${s.prefix}.exec.input`;
    }
  };

  /**
   * Handles `inputs` in order after those before. `seqs[i]`: the stream sequence `inputs[i]` was
   * read at (consumed inputs), carried in its dead letter's id as the other refusals carry theirs:
   * the same bytes stored twice and failing twice are two entries, a redelivery still one.
   */
  const run = (inputs: readonly ExecutionInput[], seqs?: readonly number[]): Promise<void> => {
    const ran = chain.then(async () => {
      const out: Suggestion[] = [];
      const failed: DlqEntry[] = [];
      for (let i = 0; i < inputs.length; i++) {
        const m = inputs[i] as ExecutionInput;
        try {
          out.push(...handle(m));
        } catch (e) {
          // A policy error on one input must not stop the actor: the input goes to the DLQ with
          // the error, and the actor goes on with the next.
          own.refused++;
          log.error({ err: String(e), type: m.type }, 'execution input failed; sent to the DLQ');
          const streamSeq = seqs?.[i];
          failed.push(
            toDlqEntry({ source: 'execution', subject: subjectOf(m), data: encode(m), refusal: refuse(RefusalReason.PROCESSING_FAILED, String(e)), ts: deps.clock.now(), ...(streamSeq === undefined ? {} : { streamSeq }) }),
          );
        }
      }
      await publish(out);
      await Promise.all(failed.map((entry) => deps.bus.publish(deps.subjects.dlq('execution'), encode(entry), { msgId: entry.id })));
    });
    chain = ran.catch(() => {});
    return ran;
  };
  const push = (inputs: readonly ExecutionInput[]): Promise<void> => run(inputs);

  const onBatch = async (batch: readonly Delivery[]): Promise<void> => {
    const inputs: ExecutionInput[] = [];
    const seqs: number[] = [];
    for (const d of batch) {
      const r = decodeInput<ExecutionInput>(d.data, SCHEMAS);
      if (r.ok) {
        inputs.push(r.msg);
        seqs.push(d.streamSeq);
        continue;
      }
      own.refused++;
      log.warn({ subject: d.subject, reason: r.reason, detail: r.detail }, 'refused execution input');
      const entry = toDlqEntry({ source: 'execution', subject: d.subject, data: d.data, refusal: r, ts: deps.clock.now(), streamSeq: d.streamSeq });
      await deps.bus.publish(deps.subjects.dlq('execution'), encode(entry), { msgId: entry.id });
    }
    await run(inputs, seqs);
  };

  const consumptions: Consumption[] = (opts.consumers ?? []).map((spec) => deps.bus.consume(spec, onBatch));
  log.info({ consumers: consumptions.length }, 'execution actor started');

  return {
    key,
    push,
    stop: async () => {
      await Promise.all(consumptions.map((c) => c.stop()));
      await chain;
    },
    stats: () => ({ ...core.stats(), ...own }),
  };
}

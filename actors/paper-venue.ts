import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { ConsumerSpec, Consumption, Delivery, DurableConsumer, DurablePublisher } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { BarSchema } from '../streams/messages/bar.js';
import { ExpirySchema } from '../streams/messages/expiry.js';
import type { Expiry } from '../streams/messages/expiry.js';
import type { Fill } from '../streams/messages/fill.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { MarketData } from '../streams/messages/market-data.js';
import type { Order } from '../streams/messages/order.js';
import { OrderSchema } from '../streams/messages/order.js';
import { QuoteSchema } from '../streams/messages/quote.js';
import { TradeSchema } from '../streams/messages/trade.js';
import type { Subjects } from '../streams/subjects.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { decodeInput } from '../models/execution/decode-input.js';
import { expiryMessage } from '../models/execution/expiry-message.js';
import type { PaperVenue, PaperVenueStats, VenueExpiry, VenueOutput } from '../models/execution/paper-venue-core.js';

export { createPaperVenue } from '../models/execution/paper-venue-core.js';
export type { PaperVenue, PaperVenueOptions, PaperVenueStats, VenueExpiry, VenueOutput, WorkingOrderView } from '../models/execution/paper-venue-core.js';

/** What the paper venue reacts to: approved orders and market data. */
export type VenueInput = Order | MarketData;

const SCHEMAS = { 'exec.order': OrderSchema, 'md.trade': TradeSchema, 'md.quote': QuoteSchema, 'md.bar': BarSchema } as const;

export type PaperVenueDeps = Readonly<{
  bus: DurablePublisher & DurableConsumer;
  subjects: Subjects;
  /** Stamps dead-letter entries only; fills run on event time. */
  clock: Clock;
  log: Logger;
}>;

export type PaperVenueActorOptions = Readonly<{
  venue: PaperVenue;
  /** Durable consumers of orders and market data; none when the engine pushes inputs in event order. */
  consumers?: readonly ConsumerSpec[];
  /**
   * Orders that expired with quantity left, also published as `exec.expired` on
   * `sx.exec.expired.<venue>.<sym>` (which a risk actor consuming `sx.exec.>` reads): for a caller
   * that hands them to the risk actor in-process (releasing an order twice changes nothing).
   */
  onExpired?: (e: VenueExpiry) => void;
}>;

export type PaperVenueActorStats = PaperVenueStats & Readonly<{ received: number; refused: number; published: number; publishFailures: number }>;

export type PaperVenueHandle = Readonly<{
  /** Handles inputs in order; resolves once their fills are published. */
  push(inputs: readonly VenueInput[]): Promise<void>;
  stop(): Promise<void>;
  stats(): PaperVenueActorStats;
}>;

/**
 * The paper venue: consumes approved orders (`sx.exec.order.…`) and market data and publishes
 * fills on `sx.exec.fill.<venue>.<sym>` with `Nats-Msg-Id` = fill id, so a replayed order fills
 * once, and orders it works no more with quantity left on `sx.exec.expired.<venue>.<sym>`
 * (`e:<order id>`). Live trading consumers replace it by publishing their own on the same subjects.
 * An order is queued at its own `ts` (the event time the risk actor approved it).
 */
export function startPaperVenue(deps: PaperVenueDeps, opts: PaperVenueActorOptions): PaperVenueHandle {
  const { venue } = opts;
  const log = deps.log.child({ actor: 'paper-venue' });
  const own = { received: 0, refused: 0, published: 0, publishFailures: 0 };
  let chain: Promise<void> = Promise.resolve();

  const publish = async (outputs: readonly (Fill | Expiry)[]): Promise<void> => {
    const acks: Promise<void>[] = [];
    for (const f of outputs) {
      const checked = f.type === 'exec.fill' ? FillSchema.safeParse(f) : ExpirySchema.safeParse(f);
      if (!checked.success) {
        own.publishFailures++;
        log.error({ id: f.id, issues: checked.error.issues.slice(0, 3) }, `${f.type} fails its schema; not published`);
        continue;
      }
      const subject = f.type === 'exec.fill' ? deps.subjects.fill(f.venue, f.symbol) : deps.subjects.expired(f.venue, f.symbol);
      acks.push(
        deps.bus.publish(subject, encode(f), { msgId: f.id }).then(
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

  const push = (inputs: readonly VenueInput[]): Promise<void> => {
    const run = chain.then(async () => {
      const outputs: (Fill | Expiry)[] = [];
      for (const m of inputs) {
        own.received++;
        const r: VenueOutput = m.type === 'exec.order' ? venue.onOrder(m, m.ts) : venue.onMarket(m);
        outputs.push(...r.fills);
        for (const e of r.expired) {
          log.info({ orderId: e.orderId, filled: e.filledQty, remaining: e.remainingQty }, 'order expired');
          outputs.push(expiryMessage(e));
          opts.onExpired?.(e);
        }
      }
      await publish(outputs);
    });
    chain = run.catch(() => {});
    return run;
  };

  const onBatch = async (batch: readonly Delivery[]): Promise<void> => {
    const inputs: VenueInput[] = [];
    for (const d of batch) {
      const r = decodeInput<VenueInput>(d.data, SCHEMAS);
      if (r.ok) {
        inputs.push(r.msg);
        continue;
      }
      own.refused++;
      log.warn({ subject: d.subject, reason: r.reason, detail: r.detail }, 'refused venue input');
      const entry = toDlqEntry({ source: 'paper-venue', subject: d.subject, data: d.data, refusal: r, ts: deps.clock.now(), streamSeq: d.streamSeq });
      await deps.bus.publish(deps.subjects.dlq('paper-venue'), encode(entry), { msgId: entry.id });
    }
    await push(inputs);
  };

  const consumptions: Consumption[] = (opts.consumers ?? []).map((spec) => deps.bus.consume(spec, onBatch));
  log.info({ consumers: consumptions.length }, 'paper venue started');

  return {
    push,
    stop: async () => {
      await Promise.all(consumptions.map((c) => c.stop()));
      await chain;
    },
    stats: () => ({ ...venue.stats(), ...own }),
  };
}

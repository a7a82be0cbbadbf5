import type { Subjects } from '../../streams/subjects.js';
import type { Fill } from '../../streams/messages/fill.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { decodeExpiry } from '../../streams/validation/decode-expiry.js';
import { decodeFill } from '../../streams/validation/decode-fill.js';
import { aheadOfClock } from '../../streams/validation/ahead-of-clock.js';
import { createMarketDataDecoder } from '../../streams/validation/decode-market-data.js';
import { createBarOrder } from './bar-order.js';
import { createBookedFills } from './booked-fills.js';
import { createRecentIds } from './recent-ids.js';
import { modelSlot, routeSubject } from './topics.js';
import type { Route } from './topics.js';

/**
 * The engine's edge validation of market data (`validation.maxPayloadBytes`, the configured
 * assets): see `HubOptions.marketData`.
 */
export type EdgeValidation = Readonly<{
  maxPayloadBytes: number;
  isKnown: (venue: string, symbol: string) => boolean;
  /**
   * `validation.maxAheadMs`: market data and fills stamped more than this many ms after the
   * gateway's clock are refused, as a live engine refuses them against its own. Unset, none is.
   */
  maxAheadMs?: number;
}>;

export type RelayAdmissionOptions = Readonly<{
  subjects: Subjects;
  marketData?: EdgeValidation;
  /** Check fills against the approved orders, as the risk actor books them (`HubOptions.bookedFills`). */
  bookedFills: boolean;
  /** How far past its limit (bps) a fill's price may be, as the risk actor checks it (`validation.fillPriceToleranceBps`). */
  fillPriceToleranceBps: number;
  /** How far from its `refPrice` (bps) a market order's fill may be, as the risk actor checks a live consumer's (`HubOptions.marketFillBandBps`); null: not checked. */
  marketFillBandBps: number | null;
  /** Ids remembered per kind, approved orders and refused fills held (`gateway.recentIds`). */
  recentIds: number;
  /** SIGNALS' duplicate window (`HubOptions.fillDuplicateWindowMs`). */
  fillDuplicateWindowMs: number;
  /** The bound on a fill's or expiry's bytes, as the engine's (`HubOptions.maxReportBytes`). */
  maxReportBytes: number;
  /** The gateway's wall clock. */
  now: () => number;
  /** Told of each message dropped as an already relayed id. */
  onDuplicate?: () => void;
}>;

/** A bus message the feed relays: its route (slot), its payload as it arrived and parsed. */
export type Admitted = Readonly<{ route: Route; text: string; value: object }>;

export type RelayAdmission = Readonly<{
  /**
   * `subject`'s message routed to its slot and checked, or undefined when it is not relayed
   * (counted as such). `stored`: read from the stream at start (`Hub.learn`), so the stream took it.
   */
  admit(subject: string, data: Uint8Array, stored?: boolean): Admitted | undefined;
  /** Approved orders the fill check holds, or undefined without `bookedFills`. */
  approvedOrders(): number | undefined;
  counts(): Readonly<{ invalid: number; duplicates: number; olderBars: number; refusedMarketData: number; refusedFills: number; refusedExpiries: number }>;
}>;

const dec = new TextDecoder();

/**
 * What the hub relays of the bus: a message the engine would refuse (market data its edge
 * dead-letters, a fill its risk actor does not book), a republish of an id already relayed, a bar
 * older than one relayed and a payload that is not a JSON object are dropped and counted here.
 */
export function createRelayAdmission(opts: RelayAdmissionOptions): RelayAdmission {
  const recent = createRecentIds(opts.recentIds);
  let invalid = 0;
  let duplicates = 0;
  const bars = createBarOrder();
  const md = opts.marketData;
  const decodeMd = md === undefined ? undefined : createMarketDataDecoder({ maxPayloadBytes: md.maxPayloadBytes, isKnown: md.isKnown, subjects: opts.subjects });
  let refusedMarketData = 0;
  let refusedFills = 0;
  let refusedExpiries = 0;
  const booked = opts.bookedFills ? createBookedFills(opts.recentIds, opts.fillPriceToleranceBps, opts.marketFillBandBps) : undefined;
  /** Fills the engine refused, by id: when the stream last stored one (oldest first, at most `recentIds`). */
  const refusedAt = new Map<string, number>();

  /**
   * Stamped more than `maxAheadMs` after the gateway's clock: the engine refuses it (SCHEMA). Relayed,
   * it would move the hub's event time to its date and expire every working order the `orders`
   * snapshot holds (and, a bar, hold back every real bar after it as older).
   */
  const ahead = (ts: number): boolean => md?.maxAheadMs !== undefined && aheadOfClock(ts, opts.now(), { maxAheadMs: md.maxAheadMs, clock: "the gateway's clock" }) !== undefined;

  /** A fill the engine refused: a republish under its id within SIGNALS' duplicate window never reaches it. */
  const refusedNow = (id: string): void => {
    refusedAt.delete(id);
    if (refusedAt.size >= opts.recentIds) refusedAt.delete(refusedAt.keys().next().value as string);
    refusedAt.set(id, opts.now());
  };

  /** A message dropped as one relayed already. */
  const duplicate = (): void => {
    duplicates++;
    opts.onDuplicate?.();
  };

  /**
   * A fill checked as the risk actor books it. Its id counts as relayed only once it is booked: the
   * engine remembers only the fills it applied, so a refused one published again under its id,
   * corrected, is booked once SIGNALS stores it — past the stream's duplicate window (within it
   * JetStream drops it and the engine never sees it). `stored`: read from the stream (`learn`),
   * so the stream took it.
   */
  const bookFill = (f: Fill, bookedFills: NonNullable<typeof booked>, stored: boolean): boolean => {
    const refused = refusedAt.get(f.id);
    if (recent.has('fill', f.id) || (!stored && refused !== undefined && opts.now() - refused < opts.fillDuplicateWindowMs)) {
      duplicate();
      return false;
    }
    if (bookedFills.book(f) !== undefined) {
      // The engine dead-letters it (UNKNOWN_ORDER, ORDER_MISMATCH): no position, no fill to show.
      refusedFills++;
      refusedNow(f.id);
      return false;
    }
    refusedAt.delete(f.id);
    recent.seen('fill', f.id);
    return true;
  };

  const admit = (subject: string, data: Uint8Array, stored = false): Admitted | undefined => {
    const route = routeSubject(opts.subjects, subject);
    if (route === undefined) return undefined;
    const text = dec.decode(data);
    let v: unknown;
    let fill: Fill | undefined;
    let expiry: Expiry | undefined;
    if (route.topic === 'md' && decodeMd !== undefined) {
      // The edge decoder has parsed and validated it already: its message is the payload.
      const r = decodeMd(subject, data);
      if (!r.ok || ahead(r.msg.ts)) {
        refusedMarketData++;
        return undefined;
      }
      v = r.msg;
      // The mid the risk book marks from it: a fill after a move is held to it as well as to its order's refPrice.
      booked?.marked(r.msg);
    } else if (route.idKind === 'fill' && (md !== undefined || booked !== undefined)) {
      const r = decodeFill(subject, data, opts.subjects, md?.isKnown ?? (() => true), opts.maxReportBytes);
      if (!r.ok) {
        refusedFills++;
        return undefined;
      }
      if (ahead(r.fill.ts)) {
        // Refused before its order is looked at, as the engine's fill consumer does.
        refusedFills++;
        if (booked !== undefined) refusedNow(r.fill.id);
        return undefined;
      }
      v = fill = r.fill;
    } else if (route.idKind === 'expiry' && (md !== undefined || booked !== undefined)) {
      // A live consumer's expiry, checked as the engine's expiry consumer does (cli/external-reports.ts):
      // relayed, one it dead-letters would show its order expired on every dashboard.
      const r = decodeExpiry(subject, data, opts.subjects, md?.isKnown ?? (() => true), opts.maxReportBytes);
      if (!r.ok || ahead(r.expiry.ts)) {
        refusedExpiries++;
        return undefined;
      }
      v = expiry = r.expiry;
    } else {
      try {
        v = JSON.parse(text);
      } catch {
        v = undefined;
      }
    }
    if (typeof v !== 'object' || v === null) {
      invalid++; // not a JSON object: never spliced into a frame
      return undefined;
    }
    if (route.idKind === 'order' && booked !== undefined) {
      // Held before the id check: a republished order is still one the risk actor approved.
      const o = OrderSchema.safeParse(v);
      if (o.success) booked.approved(o.data);
    }
    if (fill !== undefined && booked !== undefined) {
      if (!bookFill(fill, booked, stored)) return undefined;
    } else if (expiry !== undefined && booked !== undefined && !recent.has('expiry', expiry.id) && booked.expire(expiry) !== undefined) {
      // The engine dead-letters it (UNKNOWN_ORDER, ORDER_MISMATCH): its order did not expire. Not
      // remembered as relayed, as a refused fill is not.
      refusedExpiries++;
      return undefined;
    } else if (route.idKind !== undefined && 'id' in v && typeof v.id === 'string' && recent.seen(route.idKind, v.id)) {
      // Orders, rejects, fills and predictions carry deterministic ids: one seen lately is a
      // republish (an engine restart redoing its outputs), already relayed.
      duplicate();
      return undefined;
    }
    if (route.topic === 'md' && bars.older(route.slot, v)) return undefined;
    return { route: route.topic === 'models' ? { ...route, slot: modelSlot(route, v) } : route, text, value: v };
  };

  return {
    admit,
    approvedOrders: () => booked?.size(),
    counts: () => ({ invalid, duplicates, olderBars: bars.count(), refusedMarketData, refusedFills, refusedExpiries }),
  };
}

import type { FeedEntry } from './feed-entry.js';

/** What the feed needs of an approved order (`exec.order` v1) to know whether the venue still works it. */
export type ApprovedOrder = Readonly<{ id: string; qty: number; expiresAt: number }>;
/** What the feed needs of a relayed fill (`exec.fill` v1) to apply it to its order. */
export type OrderFill = Readonly<{ orderId: string; qty: number; final: boolean }>;

/**
 * The approved orders of the `orders` snapshot the venue may still be working. The snapshot keeps
 * the last `depth` messages of each slot; an order pushed out of its slot by newer ones while still
 * working would leave a dashboard that reconnects without it, so it is held instead, until a fill
 * completes it (`final`, or its filled qty reaches its qty) or event time reaches its `expiresAt`.
 * Event time is the newest `ts` the hub relayed of market data and `orders`, never the wall clock
 * (the demo replays old data), or an expiry of it (`exec.expired`: the venue stopped working it
 * early, at a hole in the data or a live exchange's cancel) lets it go.
 *
 * At most `depth` orders are held per slot: past that the oldest is let go (`onDropped`).
 */
export type WorkingOrders = Readonly<{
  /** A relayed message's event time; event time never goes back. */
  advance(ts: number): void;
  /** The newest event time seen (-Infinity before any). */
  eventTime(): number;
  /** An approved order, relayed as `entry`: followed while it is in its slot or held. */
  approved(entry: FeedEntry, o: ApprovedOrder): void;
  /** A relayed fill: applied to its order (one the feed does not follow is ignored). */
  filled(f: OrderFill): void;
  /** A relayed expiry (`exec.expired`): the venue works its order no more (one the feed does not follow is ignored). */
  expired(orderId: string): void;
  /** `entry` left its slot's last `depth`: held while its order works, else forgotten. */
  shiftedOut(entry: FeedEntry): void;
  /** The held entries whose orders still work, oldest first per slot (the others are let go). */
  held(): FeedEntry[];
  /** Orders held now (some may have expired since the last `held()`), and let go past the bound since creation. */
  stats(): Readonly<{ held: number; dropped: number }>;
}>;

type Followed = { readonly entry: FeedEntry; readonly qty: number; readonly expiresAt: number; filled: number; done: boolean; held: boolean };

/** A fill's quantities are sums of floats: filled within this share of qty is the whole order. */
const QTY_EPSILON = 1e-9;
const completes = (filled: number, qty: number): boolean => filled >= qty * (1 - QTY_EPSILON);

/**
 * Whether the venue may still work `o` at event time `eventTs`, given the fills applied to it: what
 * the gateway keeps of the orders stored before it started (`Hub.learn`); `expired`: an expiry of it was stored.
 */
export function stillWorks(o: ApprovedOrder, fills: readonly OrderFill[], eventTs: number, expired = false): boolean {
  if (expired || eventTs >= o.expiresAt || fills.some((f) => f.final)) return false;
  return !completes(fills.reduce((sum, f) => sum + f.qty, 0), o.qty);
}

export function createWorkingOrders(depth: number, onDropped: (entry: FeedEntry, slot: string) => void): WorkingOrders {
  let eventTs = -Infinity;
  let dropped = 0;
  const byId = new Map<string, Followed>();
  const bySeq = new Map<number, string>();
  /** Per slot, the held orders, oldest first. */
  const heldBySlot = new Map<string, Followed[]>();

  const works = (o: Followed): boolean => !o.done && eventTs < o.expiresAt;
  const forget = (o: Followed): void => {
    const id = bySeq.get(o.entry.seq);
    bySeq.delete(o.entry.seq);
    if (id !== undefined && byId.get(id) === o) byId.delete(id);
  };
  /** Lets go of a slot's held orders that no longer work. */
  const prune = (slot: string, list: Followed[]): void => {
    const left = list.filter((o) => (works(o) ? true : (forget(o), false)));
    if (left.length === 0) heldBySlot.delete(slot);
    else if (left.length !== list.length) heldBySlot.set(slot, left);
  };

  /** A held order that no longer works leaves its slot's held list now. */
  const letGo = (o: Followed): void => {
    if (!o.held) return;
    const list = heldBySlot.get(o.entry.slot);
    if (list !== undefined) prune(o.entry.slot, list);
  };

  return {
    advance: (ts) => {
      if (Number.isFinite(ts) && ts > eventTs) eventTs = ts;
    },
    eventTime: () => eventTs,
    approved: (entry, o) => {
      // A republish past `recentIds` is a second entry of an order already followed: the first stands.
      if (byId.has(o.id)) return;
      byId.set(o.id, { entry, qty: o.qty, expiresAt: o.expiresAt, filled: 0, done: false, held: false });
      bySeq.set(entry.seq, o.id);
    },
    filled: (f) => {
      const o = byId.get(f.orderId);
      if (o === undefined || o.done) return;
      o.filled += f.qty;
      o.done = f.final || completes(o.filled, o.qty);
      if (o.done) letGo(o);
    },
    expired: (orderId) => {
      const o = byId.get(orderId);
      if (o === undefined || o.done) return;
      o.done = true;
      letGo(o);
    },
    shiftedOut: (entry) => {
      const id = bySeq.get(entry.seq);
      const o = id === undefined ? undefined : byId.get(id);
      if (o === undefined) return;
      if (!works(o)) return forget(o);
      const slot = entry.slot;
      const list = heldBySlot.get(slot) ?? [];
      prune(slot, list);
      const kept = heldBySlot.get(slot) ?? [];
      o.held = true;
      kept.push(o);
      while (kept.length > depth) {
        const oldest = kept.shift() as Followed;
        forget(oldest);
        dropped++;
        onDropped(oldest.entry, slot);
      }
      heldBySlot.set(slot, kept);
    },
    held: () => {
      for (const [slot, list] of [...heldBySlot]) prune(slot, list);
      return [...heldBySlot.values()].flat().map((o) => o.entry);
    },
    stats: () => {
      let held = 0;
      for (const list of heldBySlot.values()) held += list.length;
      return { held, dropped };
    },
  };
}

/**
 * What a slow client has yet to be sent: at most one item per slot, the newest (the session gives
 * each event a slot of its own, so only states conflate).
 * Iteration follows the order of the newest update per slot, so flushing keeps the items in the
 * order the hub produced them (seq order within a topic).
 */
export type Pending<T> = Readonly<{ item: T; conflated: boolean }>;

export type ConflatingBuffer<T> = Readonly<{
  /** Queues `item` under `slot`, replacing (and so conflating) an older item of the same slot. */
  put(slot: string, item: T): void;
  /** The item pending under `slot`, if any (left in place). */
  get(slot: string): Pending<T> | undefined;
  /** Removes every pending item `drop` says yes to; returns how many. */
  removeWhere(drop: (item: T) => boolean): number;
  /** Removes and returns the oldest pending item. */
  shift(): Pending<T> | undefined;
  /** Pending slots. */
  readonly size: number;
  /** Items dropped because a newer one of their slot replaced them, since creation. */
  readonly dropped: number;
  clear(): void;
}>;

export function createConflatingBuffer<T>(): ConflatingBuffer<T> {
  const slots = new Map<string, { item: T; conflated: boolean }>();
  let dropped = 0;
  return {
    put: (slot, item) => {
      const old = slots.get(slot);
      if (old !== undefined) {
        dropped++;
        slots.delete(slot); // re-insert at the end: the map's order is the order of the newest updates
      }
      slots.set(slot, { item, conflated: old !== undefined });
    },
    get: (slot) => slots.get(slot),
    removeWhere: (drop) => {
      let n = 0;
      for (const [slot, p] of slots) if (drop(p.item)) n += slots.delete(slot) ? 1 : 0;
      return n;
    },
    shift: () => {
      const first = slots.entries().next();
      if (first.done === true) return undefined;
      const [slot, pending] = first.value;
      slots.delete(slot);
      return pending;
    },
    get size() {
      return slots.size;
    },
    get dropped() {
      return dropped;
    },
    clear: () => slots.clear(),
  };
}

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
  /** Pending slots whose item counts (all of them unless `counts` was given). */
  readonly counted: number;
  /** Items dropped because a newer one of their slot replaced them, since creation. */
  readonly dropped: number;
  clear(): void;
}>;

/** `counts`: which items `counted` includes (default: every one). */
export function createConflatingBuffer<T>(counts: (item: T) => boolean = () => true): ConflatingBuffer<T> {
  const slots = new Map<string, { item: T; conflated: boolean }>();
  let dropped = 0;
  let counted = 0;
  const forget = (item: T): void => {
    if (counts(item)) counted--;
  };
  return {
    put: (slot, item) => {
      const old = slots.get(slot);
      if (old !== undefined) {
        dropped++;
        forget(old.item);
        slots.delete(slot); // re-insert at the end: the map's order is the order of the newest updates
      }
      slots.set(slot, { item, conflated: old !== undefined });
      if (counts(item)) counted++;
    },
    get: (slot) => slots.get(slot),
    removeWhere: (drop) => {
      let n = 0;
      for (const [slot, p] of slots) {
        if (drop(p.item) && slots.delete(slot)) {
          forget(p.item);
          n++;
        }
      }
      return n;
    },
    shift: () => {
      const first = slots.entries().next();
      if (first.done === true) return undefined;
      const [slot, pending] = first.value;
      slots.delete(slot);
      forget(pending.item);
      return pending;
    },
    get size() {
      return slots.size;
    },
    get counted() {
      return counted;
    },
    get dropped() {
      return dropped;
    },
    clear: () => {
      slots.clear();
      counted = 0;
    },
  };
}

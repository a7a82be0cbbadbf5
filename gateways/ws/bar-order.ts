/**
 * Which `md` bars the feed relays: the newest open time seen per slot (a venue, symbol and
 * timeframe), so that a bar older than one already relayed — which the engine's edge refuses as
 * OUT_OF_ORDER — neither reaches the charts nor becomes the slot's snapshot (a dashboard opened
 * after the demo then showed the refused bar, a year old, as the symbol's only candle and price).
 */
export type BarOrder = Readonly<{
  /** True for a bar older than the newest of its slot (drop it); records the bar otherwise. */
  older(slot: string, payload: object): boolean;
  count(): number;
}>;

export function createBarOrder(): BarOrder {
  const newest = new Map<string, number>();
  let dropped = 0;
  return {
    older(slot, payload) {
      if (!('type' in payload) || payload.type !== 'md.bar' || !('ts' in payload) || typeof payload.ts !== 'number') return false;
      const prev = newest.get(slot);
      if (prev !== undefined && payload.ts < prev) {
        dropped++;
        return true;
      }
      newest.set(slot, payload.ts);
      return false;
    },
    count: () => dropped,
  };
}

import type { Fill } from '../../streams/messages/fill.js';
import { sideSign } from '../../streams/messages/order-side.js';
import type { ClosedTrade } from './trade-stats.js';

/**
 * A position smaller than this share of the trade's entry size counts as flat: fills summed in
 * floating point (0.1 + 0.2 − 0.3) rarely land on an exact 0, and a 1e-17 BTC remnant must not
 * keep a round trip open forever.
 */
const FLAT_TOLERANCE = 1e-9;

/** The round trip in progress on one symbol. */
type OpenTrade = {
  side: 'long' | 'short';
  entryTs: number;
  /** Signed position: > 0 long, < 0 short. */
  position: number;
  entryQty: number;
  entryNotional: number;
  exitQty: number;
  exitNotional: number;
  fees: number;
};

export type RoundTripTracker = Readonly<{
  /** Books one fill; returns the round trip it closed, if any (a flip closes one and opens the next). */
  apply(fill: Fill): readonly ClosedTrade[];
  /** Every round trip closed so far, in closing order. */
  closed(): readonly ClosedTrade[];
  /** Signed open position per symbol as the tracker sees it (0 once flat). */
  position(symbol: string): number;
}>;

const close = (symbol: string, t: OpenTrade, exitTs: number): ClosedTrade => {
  const dir = t.side === 'long' ? 1 : -1;
  return {
    entryTs: t.entryTs,
    exitTs,
    symbol,
    side: t.side,
    qty: t.entryQty,
    entryPrice: t.entryNotional / t.entryQty,
    exitPrice: t.exitNotional / t.exitQty,
    pnl: dir * (t.exitNotional - t.entryNotional) - t.fees,
    fees: t.fees,
  };
};

const open = (fill: Fill, qty: number, fee: number): OpenTrade => ({
  side: fill.side === 'buy' ? 'long' : 'short',
  entryTs: fill.ts,
  position: sideSign(fill.side) * qty,
  entryQty: qty,
  entryNotional: qty * fill.price,
  exitQty: 0,
  exitNotional: 0,
  fees: fee,
});

/**
 * Cuts a fill sequence into round trips per symbol: a trade opens when the symbol's position
 * leaves 0 and closes when it returns to 0. A fill that carries the position through 0 (a flip)
 * is split pro rata — its quantity and fee — into the part that closes the old trade and the part
 * that opens the new one, so every fee lands on exactly one trade. Adding to a position averages
 * the entry price; reducing without closing averages the exit price. `pnl` is net of fees:
 * `±(exit notional − entry notional) − fees`, which on a closed trade (entry qty = exit qty) is
 * the cash the round trip made. Fills must arrive in event order; the tracker keeps no clock.
 */
export function createRoundTrips(): RoundTripTracker {
  const openTrades = new Map<string, OpenTrade>();
  const done: ClosedTrade[] = [];

  const apply = (fill: Fill): readonly ClosedTrade[] => {
    const t = openTrades.get(fill.symbol);
    const s = sideSign(fill.side);
    if (t === undefined) {
      openTrades.set(fill.symbol, open(fill, fill.qty, fill.fee));
      return [];
    }
    const adds = (t.position > 0 && s > 0) || (t.position < 0 && s < 0);
    if (adds) {
      t.position += s * fill.qty;
      t.entryQty += fill.qty;
      t.entryNotional += fill.qty * fill.price;
      t.fees += fill.fee;
      return [];
    }
    const held = Math.abs(t.position);
    const closing = Math.min(fill.qty, held);
    const share = closing / fill.qty;
    t.exitQty += closing;
    t.exitNotional += closing * fill.price;
    t.fees += fill.fee * share;
    const left = held - closing;
    const rest = fill.qty - closing;
    if (left > FLAT_TOLERANCE * t.entryQty && rest <= FLAT_TOLERANCE * fill.qty) {
      t.position = Math.sign(t.position) * left;
      return [];
    }
    // Flat (or flipped): the trade is over. A remnant below the tolerance on either side is dust.
    const trade = close(fill.symbol, t, fill.ts);
    done.push(trade);
    openTrades.delete(fill.symbol);
    if (rest > FLAT_TOLERANCE * fill.qty) openTrades.set(fill.symbol, open(fill, rest, fill.fee * (1 - share)));
    return [trade];
  };

  return {
    apply,
    closed: () => done.slice(),
    position: (symbol) => openTrades.get(symbol)?.position ?? 0,
  };
}

/** {@link createRoundTrips} over a whole fill sequence: the closed round trips, in closing order. */
export function roundTrips(fills: Iterable<Fill>): ClosedTrade[] {
  const tracker = createRoundTrips();
  for (const f of fills) tracker.apply(f);
  return tracker.closed().slice();
}

import type { Fill } from '../../streams/messages/fill.js';
import { withoutDust } from '../quantity-dust.js';

/** One symbol's net position after a fill: signed quantity and its value at that fill's price. */
export type PositionPoint = Readonly<{ ts: number; qty: number; value: number }>;

/** A position open at the end: signed quantity, average entry price of what is open, the last fill price. */
export type OpenPosition = Readonly<{ symbol: string; qty: number; avgEntryPrice: number; lastPrice: number }>;

export type Positions = Readonly<{
  /** Per symbol, the net position after each of its fills, in fill order. */
  history: ReadonlyMap<string, readonly PositionPoint[]>;
  /** Positions still open after the last fill, by symbol. */
  open: readonly OpenPosition[];
}>;

/**
 * Net positions from fills (in the order given): buys add, sells subtract. The average entry price
 * is the volume-weighted price of what is open; it restarts when a position is closed or flips.
 */
export function positionsOf(fills: readonly Fill[]): Positions {
  const history = new Map<string, PositionPoint[]>();
  const state = new Map<string, { qty: number; avg: number; last: number; scale: number }>();
  for (const f of fills) {
    const s = state.get(f.symbol) ?? { qty: 0, avg: 0, last: f.price, scale: 0 };
    const d = f.side === 'buy' ? f.qty : -f.qty;
    const next = s.qty + d;
    s.scale = Math.max(s.scale, Math.abs(next), f.qty);
    if (s.qty === 0 || Math.sign(next) !== Math.sign(s.qty)) s.avg = f.price; // opened or flipped: what is open was bought now
    else if (Math.abs(next) > Math.abs(s.qty)) s.avg = (s.avg * Math.abs(s.qty) + f.price * Math.abs(d)) / Math.abs(next); // added to
    s.qty = withoutDust(next, s.scale);
    s.last = f.price;
    state.set(f.symbol, s);
    const list = history.get(f.symbol) ?? [];
    list.push({ ts: f.ts, qty: s.qty, value: s.qty * f.price });
    history.set(f.symbol, list);
  }
  const open = [...state.entries()]
    .filter(([, s]) => s.qty !== 0)
    .map(([symbol, s]) => ({ symbol, qty: s.qty, avgEntryPrice: s.avg, lastPrice: s.last }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { history, open };
}

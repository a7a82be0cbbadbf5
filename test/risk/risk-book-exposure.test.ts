import { describe, expect, it } from 'vitest';
import { bookKey, RiskBook } from '../../models/risk/risk-book.js';
import type { RiskBookSnapshot } from '../../models/risk/risk-book.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { baseLimits, BTC, ETH, fill, T0, VENUE } from './risk-fixtures.js';

type Side = 'buy' | 'sell';
type Extra = Readonly<{ key: string; side: Side; qty: number; price: number }>;

/** The definition, written plainly: every key held or with an order in flight (or `extra`), once, at its worst case. */
function referenceGross(s: RiskBookSnapshot, extra?: Extra): number {
  const keys = new Set<string>([...s.positions.map((p) => bookKey(p.venue, p.symbol)), ...s.inFlight.map((o) => o.key)]);
  if (extra !== undefined) keys.add(extra.key);
  const marks = new Map(s.marks);
  let gross = 0;
  for (const key of keys) {
    const p = s.positions.find((x) => bookKey(x.venue, x.symbol) === key);
    const pos = p?.qty ?? 0;
    let buys = 0;
    let sells = 0;
    for (const o of s.inFlight) {
      if (o.key !== key) continue;
      if (o.side === 'buy') buys += o.remaining;
      else sells += o.remaining;
    }
    if (extra?.key === key) {
      if (extra.side === 'buy') buys += extra.qty;
      else sells += extra.qty;
    }
    const worst = Math.max(Math.abs(pos + buys), Math.abs(pos - sells));
    if (worst === 0) continue;
    gross += worst * (marks.get(key)?.mid ?? p?.lastPrice ?? (extra?.key === key ? extra.price : 0));
  }
  return gross;
}

/** A seeded generator (mulberry32): the same books every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('risk book: gross exposure', () => {
  it('equals the plain definition, to the last bit, on 2,000 random books with and without a prospective order', () => {
    const r = rng(7);
    const symbols = ['A/USDT', 'B/USDT', 'C/USDT', 'D/USDT', 'E/USDT'];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const money = (): number => Math.round(r() * 1e6) / 100;
    for (let i = 0; i < 2_000; i++) {
      const held = symbols.filter(() => r() < 0.5);
      const snapshot: RiskBookSnapshot = {
        positions: held.map((symbol) => ({ venue: VENUE, symbol, qty: r() < 0.2 ? 0 : (r() - 0.5) * 10, avgCost: money(), realised: 0, lastPrice: money() })),
        marks: symbols.filter(() => r() < 0.6).map((symbol) => [bookKey(VENUE, symbol), { mid: money(), ts: T0 }]),
        inFlight: Array.from({ length: Math.floor(r() * 8) }, (_, k) => ({ orderId: `o${k}`, key: bookKey(VENUE, pick(symbols)), side: pick<Side>(['buy', 'sell']), remaining: r() * 5, expiresAt: T0 + 10_000 })),
        orderTimes: [],
        fillIds: [],
        day: null,
        dayStartEquity: 0,
        peakEquity: 0,
      };
      const book = new RiskBook(snapshot);
      expect(book.grossExposure()).toBe(referenceGross(snapshot));
      const extra: Extra = { key: bookKey(VENUE, pick(symbols)), side: pick<Side>(['buy', 'sell']), qty: r() * 3, price: money() };
      expect(book.grossExposure(extra)).toBe(referenceGross(snapshot, extra));
    }
  });
});

describe('risk core: holdings', () => {
  it('gives the equity and the gross value held that the full status gives, without orders in flight', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    c.onMarket({ venue: VENUE, symbol: ETH, ts: T0, mid: 10 });
    c.onFill(fill({ orderId: 'o:1', side: 'buy', qty: 2, price: 99 }));
    c.onFill(fill({ orderId: 'o:2', symbol: ETH, side: 'sell', qty: 3, price: 11 }));
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 103 });
    const st = c.status();
    const held = c.holdings();
    expect(held.equity).toBe(st.pnl.equity);
    expect(held.grossHeld).toBeCloseTo(2 * 103 + 3 * 10, 12);
    let gross = 0;
    for (const p of st.positions) gross += Math.abs(p.qty) * (p.price ?? 0);
    expect(held.grossHeld).toBe(gross);
    expect(held.equity).not.toBe(0);
  });
});

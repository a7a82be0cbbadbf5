import { describe, expect, it } from 'vitest';
import { assetKey, createExecutionCore } from '../../actors/execution-actor.js';
import { createPaperVenue } from '../../actors/paper-venue.js';
import type { VenueOutput } from '../../actors/paper-venue.js';
import { FLATTEN_SOURCE } from '../../models/execution/execution-core.js';
import type { ExecutionCore } from '../../models/execution/execution-core.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { order, prediction, SYMBOL, VENUE } from './fixtures.js';

const H = 3_600_000;
/** Sorted before SYMBOL: at equal open times its bar is decided first, as the backtest's merge does. */
const OTHER = 'AAA/USDT';

const hourBar = (symbol: string, ts: number, open: number, close: number): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId(VENUE, symbol, '1h', ts),
  venue: VENUE,
  symbol,
  tf: '1h',
  open,
  high: Math.max(open, close) + 1,
  low: Math.min(open, close) - 1,
  close,
  volume: 1_000,
  ts,
});

/** Long 1 of each asset; risk asks to flatten from the moment `breach.on` says so. */
const core = (breach: { on: boolean }): ExecutionCore =>
  createExecutionCore({
    strategy: 's1',
    policy: twapPolicy({ slices: 4 }),
    flattenPolicy: immediatePolicy({ orderType: 'market', ttlMs: 60_000 }),
    minQty: 0.001,
    trading: () => (breach.on ? 'REDUCING' : 'ACTIVE'),
    flattening: () => breach.on,
    positions: { [assetKey(VENUE, OTHER)]: 1, [assetKey(VENUE, SYMBOL)]: 1 },
  });

describe('a close opened on another asset event (flatten on a breach)', () => {
  it("starts at that event's known time: the other asset's close waits for its own data of that time", () => {
    const breach = { on: false };
    const ex = core(breach);
    for (const md of [hourBar(OTHER, 0, 10, 10), hourBar(SYMBOL, 0, 100, 100)]) {
      ex.onMarket(md);
      expect(ex.onTime(md.ts, knownAt(md))).toEqual([]);
    }
    // OTHER's bar of 1h (known at 2h) marks the breach. SYMBOL's newest data is its bar of 0 (known at 1h).
    const a = hourBar(OTHER, H, 10, 5);
    ex.onMarket(a);
    breach.on = true;
    const atBreach = ex.onTime(H, knownAt(a));
    // OTHER's own close goes out; SYMBOL's parent to flat is open but starts at 2h, not at once.
    expect(atBreach.map((s) => [s.symbol, s.source, s.side, s.qty])).toEqual([[OTHER, FLATTEN_SOURCE, 'sell', 1]]);
    expect(ex.asset(VENUE, SYMBOL).parent).toMatchObject({ source: FLATTEN_SOURCE, side: 'sell', qty: 1, sent: 0 });
    // Its child goes out on SYMBOL's bar of 1h, which makes 2h known.
    const b = hourBar(SYMBOL, H, 100, 90);
    ex.onMarket(b);
    expect(ex.onTime(H, knownAt(b)).map((s) => [s.symbol, s.source, s.side, s.qty])).toEqual([[SYMBOL, FLATTEN_SOURCE, 'sell', 1]]);
  });

  it("fills the other asset's close on its first bar opened after the breach was known, not at the open of its bar of the breach's time", () => {
    const breach = { on: false };
    const ex = core(breach);
    const venue = createPaperVenue({ venue: VENUE, takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 });
    const fills: Fill[] = [];
    const venueOut = (out: VenueOutput): void => {
      for (const f of out.fills) {
        fills.push(f);
        ex.onFill(f);
      }
      for (const e of out.expired) ex.onExpired(e);
    };
    // As the risk actor approves it: its time-to-live counts from when it exists (the bar's close).
    const send = (s: Suggestion, now: number, existsFrom: number): void =>
      venueOut(venue.onOrder(order(`o:${s.id}`, now, { venue: VENUE, symbol: s.symbol, suggestionId: s.id, side: s.side, qty: s.qty, orderType: s.orderType, limitPrice: s.limitPrice, expiresAt: existsFrom + s.ttlMs, reducing: true }), now));
    // As the decision path decides each event: the venue fills, the breach is marked, due children are sent.
    const decide = (md: Bar, breachHere = false): void => {
      venueOut(venue.onMarket(md));
      if (breachHere) breach.on = true;
      ex.onMarket(md);
      for (const s of ex.onTime(md.ts, knownAt(md))) send(s, md.ts, knownAt(md));
    };
    decide(hourBar(OTHER, 0, 10, 10));
    decide(hourBar(SYMBOL, 0, 100, 100));
    decide(hourBar(OTHER, H, 10, 5), true); // the breach: known at 2h
    decide(hourBar(SYMBOL, H, 100, 90)); // opened at 1h: its open (100) is a price from before the breach was known
    decide(hourBar(OTHER, 2 * H, 5, 5));
    decide(hourBar(SYMBOL, 2 * H, 90, 90));
    expect(fills.map((f) => [f.symbol, f.side, f.qty, f.ts, f.price])).toEqual([
      [OTHER, 'sell', 1, 2 * H, 5],
      [SYMBOL, 'sell', 1, 2 * H, 90],
    ]);
    expect(ex.asset(VENUE, SYMBOL)).toMatchObject({ position: 0, working: 0, parent: null });
  });

  it("leaves an asset's own parents where its own data puts them, whatever another asset's event was known at", () => {
    const ex = core({ on: false });
    // SYMBOL's data has a gap: its newest bar is of 0 while OTHER's of 5h was decided (known at 6h).
    ex.onMarket(hourBar(SYMBOL, 0, 100, 100));
    const a = hourBar(OTHER, 5 * H, 10, 10);
    ex.onMarket(a);
    expect(ex.onTime(5 * H, knownAt(a))).toEqual([]);
    // A prediction of SYMBOL on its own bar of 0 is planned from that bar's close, not from 6h.
    const first = ex.onPrediction(prediction(0, 3, { horizonMs: H }), 0);
    expect(first.map((s) => [s.symbol, s.child, s.qty])).toEqual([[SYMBOL, 0, 0.5]]);
    expect(ex.onTime(H + 15 * 60_000).map((s) => s.child)).toEqual([1]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { fillId } from 'sextant/client';
import { deskFillWorld } from './desk-fill-world.js';

const BTC = 'BTC/USDT';
const MID = 42_000;
/** The engine's limits are not rounded to a tick. */
const BUY_LIMIT = 42_004.064925;
const SELL_LIMIT = 41_995.935075;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * An audit found a desk's fill booked at any price: 50,000 reported for ETH bought at a limit of
 * 2,779.79 moved realised PnL from −0.5 to −87 USDT (a bigger unit error would trip the daily-loss
 * flatten). Here an engine with the paper venue off, on real NATS, holds a BTC/USDT buy and a sell
 * limit order in flight (`validation.fillPriceToleranceBps` set to 2), and a desk reports fills of
 * them with sextant/client's publishFill.
 */
describe('a desk fill worse than its order limit (paper venue off), on real NATS', () => {
  it('is dead-lettered (ORDER_MISMATCH, naming limit, price, side and tolerance), nothing booked, and the fills within the tolerance or better are booked', async () => {
    const w = await deskFillWorld(cleanup, {
      name: 'external-fill-price',
      symbol: BTC,
      mid: MID,
      validation: { fillPriceToleranceBps: 2 },
      orders: [
        { id: 'o:buy', side: 'buy', qty: 0.1, limitPrice: BUY_LIMIT },
        { id: 'o:sell', side: 'sell', qty: 0.1, limitPrice: SELL_LIMIT },
      ],
      fillQty: 0.02,
    });
    const { cfg, subjects, engine, risk, fill } = w;
    const fills = [
      fill('o:buy', 0, 'buy', 420_040), // a unit error: refused
      fill('o:buy', 1, 'buy', BUY_LIMIT * 1.0003), // 3 bps above the limit: refused at 2 bps
      fill('o:buy', 2, 'buy', 42_004.07), // the limit rounded up to the tick: booked
      fill('o:buy', 3, 'buy', 41_990), // better than the limit: booked
      fill('o:sell', 0, 'sell', 4_199.5935075), // a unit error: refused
      fill('o:sell', 1, 'sell', 41_995.93), // the limit rounded down to the tick: booked
    ];
    await w.publish(fills);
    await w.settle(3, 3);

    const entries = await w.dead();
    expect(entries.map((e) => [e.reason, JSON.parse(e.payload).id as string])).toEqual([
      ['ORDER_MISMATCH', fillId('o:buy', 0)],
      ['ORDER_MISMATCH', fillId('o:buy', 1)],
      ['ORDER_MISMATCH', fillId('o:sell', 0)],
    ]);
    expect(entries.every((e) => e.source === 'decisions' && e.subject === subjects.fill(cfg.venue, BTC))).toBe(true);
    expect(entries[0]?.detail).toBe(`fill price 420040 is above order o:buy's buy limit ${BUY_LIMIT} by 90000 bps, more than the 2 bps tolerance (validation.fillPriceToleranceBps): at most 42012.465738`);
    expect(entries[1]?.detail).toContain(`above order o:buy's buy limit ${BUY_LIMIT} by 3.00 bps, more than the 2 bps tolerance`);
    expect(entries[2]?.detail).toContain(`fill price 4199.5935075 is below order o:sell's sell limit ${SELL_LIMIT} by 9000 bps, more than the 2 bps tolerance (validation.fillPriceToleranceBps): at least`);
    expect(engine.counters.refused['ORDER_MISMATCH']).toBe(3);

    // Booked: 0.04 bought and 0.02 sold; the refused prices moved neither cost nor PnL.
    expect(engine.decisions?.path.stats().fills).toBe(3);
    const status = risk.core.status();
    const position = status.positions.find((p) => p.symbol === BTC);
    expect(position?.qty).toBeCloseTo(0.02, 12);
    const avgBuy = (42_004.07 + 41_990) / 2;
    expect(position?.avgCost).toBeCloseTo(avgBuy, 6);
    expect(status.pnl.realised).toBeCloseTo(0.02 * (41_995.93 - avgBuy), 6);
    // The refused quantities are still the orders' to fill: the engine goes on booking them.
    await w.publish([fill('o:buy', 4, 'buy', BUY_LIMIT)]);
    await w.settle(4);
    expect(risk.core.status().positions.find((p) => p.symbol === BTC)?.qty).toBeCloseTo(0.04, 12);
  }, 120_000);
});

import { afterEach, describe, expect, it } from 'vitest';
import { fillId } from 'sextant/client';
import { deskFillWorld } from './desk-fill-world.js';

const ETH = 'ETH/USDT';
const MID = 2779.79;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * A limit order's fill better than its limit was booked at any price: a buy limit of 2,779.79
 * filled at 277.98 (a unit error) booked a huge unrealised gain. A limit order's price improvement
 * is now held to `validation.marketFillBandBps` around its `refPrice` on that side. Here an engine
 * with the paper venue off, on real NATS, holds an ETH/USDT buy limit and a sell limit in flight
 * (approved against a mid of 2,779.79, band 1000 bps, the default), and a desk reports fills of
 * them with sextant/client's publishFill.
 */
describe('a desk fill of a limit order far better than the mid it was approved against (paper venue off), on real NATS', () => {
  it('is dead-lettered (ORDER_MISMATCH, naming the reference price and the band), nothing booked, and price improvement within the band is booked', async () => {
    const w = await deskFillWorld(cleanup, {
      name: 'external-fill-limit-band',
      symbol: ETH,
      mid: MID,
      orders: [
        { id: 'o:lbuy', side: 'buy', qty: 1, refPrice: MID, limitPrice: MID },
        { id: 'o:lsell', side: 'sell', qty: 1, refPrice: MID, limitPrice: 2770 },
      ],
      fillQty: 0.2,
    });
    const { cfg, subjects, engine, risk, fill } = w;
    const fills = [
      fill('o:lbuy', 0, 'buy', 277.98), // a unit error: a tenth of the limit, refused
      fill('o:lbuy', 1, 'buy', 2700), // price improvement within the band: booked
      fill('o:lsell', 0, 'sell', 27_797.9), // ten times the market: refused
      fill('o:lsell', 1, 'sell', 2800), // booked
    ];
    await w.publish(fills);
    await w.settle(2, 2);

    const entries = await w.dead();
    expect(entries.map((e) => [e.reason, JSON.parse(e.payload).id as string])).toEqual([
      ['ORDER_MISMATCH', fillId('o:lbuy', 0)],
      ['ORDER_MISMATCH', fillId('o:lsell', 0)],
    ]);
    expect(entries.every((e) => e.source === 'decisions' && e.subject === subjects.fill(cfg.venue, ETH))).toBe(true);
    expect(entries[0]?.detail).toBe(
      "fill price 277.98 is below limit buy order o:lbuy's reference price 2779.79 (the mid risk approved it against) by 9000 bps, better than its limit 2779.79 by more than the 1000 bps band (validation.marketFillBandBps) a price past the limit is held to: at least 2501.811",
    );
    expect(entries[1]?.detail).toContain("fill price 27797.9 is above limit sell order o:lsell's reference price 2779.79");
    expect(engine.counters.refused['ORDER_MISMATCH']).toBe(2);

    // Booked: 0.2 bought at 2700 and 0.2 sold at 2800; the refused prices moved neither cost nor PnL.
    expect(engine.decisions?.path.stats().fills).toBe(2);
    const status = risk.core.status();
    expect(status.positions.find((p) => p.symbol === ETH)?.qty ?? 0).toBeCloseTo(0, 12);
    expect(status.pnl.realised).toBeCloseTo(0.2 * (2800 - 2700), 6);
  }, 120_000);
});

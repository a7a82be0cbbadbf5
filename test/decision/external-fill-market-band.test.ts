import { afterEach, describe, expect, it } from 'vitest';
import { fillId } from 'sextant/client';
import { deskFillWorld } from './desk-fill-world.js';

const BTC = 'BTC/USDT';
const MID = 42_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * A market order (immediate-market, or a TWAP / Almgren–Chriss child with orderType market) has no
 * limit price, so a desk's fill of one at ten times the market was booked: the limit check of
 * external-fill-price.test.ts had nothing to hold it to. Every approved order now carries
 * `refPrice`, the mid risk approved it against. Here an engine with the paper venue off, on real
 * NATS, holds a BTC/USDT market buy and a market sell in flight (approved against a mid of 42,000,
 * `validation.marketFillBandBps` 500), and a desk reports fills of them with sextant/client's
 * publishFill.
 */
describe("a desk fill of a market order far from the mid it was approved against (paper venue off), on real NATS", () => {
  it('is dead-lettered (ORDER_MISMATCH, naming the price, the reference price and the band), nothing booked, and the fills within the band are booked', async () => {
    const w = await deskFillWorld(cleanup, {
      name: 'external-fill-market-band',
      symbol: BTC,
      mid: MID,
      validation: { marketFillBandBps: 500 },
      orders: [
        { id: 'o:mbuy', side: 'buy', qty: 0.1, refPrice: MID },
        { id: 'o:msell', side: 'sell', qty: 0.1, refPrice: MID },
      ],
      fillQty: 0.02,
    });
    const { cfg, subjects, engine, risk, fill } = w;
    const fills = [
      fill('o:mbuy', 0, 'buy', 420_000), // a unit error: ten times the market, refused
      fill('o:mbuy', 1, 'buy', 44_310), // 550 bps of slippage: past the 500 bps band, refused
      fill('o:mbuy', 2, 'buy', 42_100), // booked
      fill('o:mbuy', 3, 'buy', 41_900), // better than the mid: booked
      fill('o:msell', 0, 'sell', 4_200), // a tenth of the market: refused
      fill('o:msell', 1, 'sell', 41_950), // booked
    ];
    await w.publish(fills);
    await w.settle(3, 3);

    const entries = await w.dead();
    expect(entries.map((e) => [e.reason, JSON.parse(e.payload).id as string])).toEqual([
      ['ORDER_MISMATCH', fillId('o:mbuy', 0)],
      ['ORDER_MISMATCH', fillId('o:mbuy', 1)],
      ['ORDER_MISMATCH', fillId('o:msell', 0)],
    ]);
    expect(entries.every((e) => e.source === 'decisions' && e.subject === subjects.fill(cfg.venue, BTC))).toBe(true);
    expect(entries[0]?.detail).toBe(
      "fill price 420000 is above market buy order o:mbuy's reference price 42000 (the mid risk approved it against) by 90000 bps, more than the 500 bps band (validation.marketFillBandBps): from 39900 to 44100",
    );
    expect(entries[1]?.detail).toContain("above market buy order o:mbuy's reference price 42000 (the mid risk approved it against) by 550 bps, more than the 500 bps band");
    expect(entries[2]?.detail).toContain("fill price 4200 is below market sell order o:msell's reference price 42000 (the mid risk approved it against) by 9000 bps");
    expect(engine.counters.refused['ORDER_MISMATCH']).toBe(3);

    // Booked: 0.04 bought and 0.02 sold; the refused prices moved neither cost nor PnL.
    expect(engine.decisions?.path.stats().fills).toBe(3);
    const status = risk.core.status();
    const position = status.positions.find((p) => p.symbol === BTC);
    expect(position?.qty).toBeCloseTo(0.02, 12);
    const avgBuy = (42_100 + 41_900) / 2;
    expect(position?.avgCost).toBeCloseTo(avgBuy, 6);
    expect(status.pnl.realised).toBeCloseTo(0.02 * (41_950 - avgBuy), 6);
    // The refused quantities are still the orders' to fill: the engine goes on booking them.
    await w.publish([fill('o:mbuy', 4, 'buy', MID)]);
    await w.settle(4);
    expect(risk.core.status().positions.find((p) => p.symbol === BTC)?.qty).toBeCloseTo(0.04, 12);
  }, 120_000);
});

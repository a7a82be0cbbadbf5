import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { fillId, publishFill } from 'sextant/client';
import type { Fill } from 'sextant/client';
import { bookKey } from '../../models/risk/risk-book.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { decodeText } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { natsWithStreams, startLiveEngine } from '../support/live-engine.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from './engine-run.js';

const T = Date.UTC(2024, 0, 2);
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
    const cfg = isolatedConfig([BTC], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false }, validation: { ...c.validation, marketFillBandBps: 500 } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await natsWithStreams(cfg, 'external-fill-market-band', cleanup);
    const registry = await trainedRegistry([BTC], Date.UTC(2024, 0, 1));
    const riskStore = createMemoryRiskStore();
    const order = { venue: cfg.venue, symbol: BTC, strategy: cfg.strategy.name, qty: 0.1, expiresAt: T + 3_600_000, refPrice: MID };
    const book = bookWithOrders([
      { ...order, id: 'o:mbuy', side: 'buy' },
      { ...order, id: 'o:msell', side: 'sell' },
    ]);
    await riskStore.saveBook(cfg.risk.account, { ...book, book: { ...book.book, marks: [[bookKey(cfg.venue, BTC), { mid: MID, ts: T }]] } }, 0);
    const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
    const risk = engine.decisions?.risk;
    if (risk === undefined) throw new Error('no decisions');
    const nc = await connect({ servers: NATS_URL, name: 'external-fill-market-band-desk' });
    cleanup.push(() => nc.close());

    const fill = (orderId: string, n: number, side: 'buy' | 'sell', price: number): Fill => ({
      type: 'exec.fill', v: 1, id: fillId(orderId, n), ts: T + n, orderId, strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, side, qty: 0.02, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: false,
    });
    const fills = [
      fill('o:mbuy', 0, 'buy', 420_000), // a unit error: ten times the market, refused
      fill('o:mbuy', 1, 'buy', 44_310), // 550 bps of slippage: past the 500 bps band, refused
      fill('o:mbuy', 2, 'buy', 42_100), // booked
      fill('o:mbuy', 3, 'buy', 41_900), // better than the mid: booked
      fill('o:msell', 0, 'sell', 4_200), // a tenth of the market: refused
      fill('o:msell', 1, 'sell', 41_950), // booked
    ];
    for (const f of fills) await publishFill(nc, f, { prefix: cfg.prefix });

    const dead = async (): Promise<DlqEntry[]> => {
      const { messages } = await bus.readFrom(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      return messages.map((m) => DlqEntrySchema.parse(JSON.parse(decodeText(m.data))));
    };
    const deadline = performance.now() + 20_000;
    while (((engine.decisions?.path.stats().fills ?? 0) < 3 || (await dead()).length < 3) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const entries = await dead();
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
    await publishFill(nc, fill('o:mbuy', 4, 'buy', MID), { prefix: cfg.prefix });
    while ((engine.decisions?.path.stats().fills ?? 0) < 4 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(risk.core.status().positions.find((p) => p.symbol === BTC)?.qty).toBeCloseTo(0.04, 12);
  }, 120_000);
});

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
    const cfg = isolatedConfig([BTC], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false }, validation: { ...c.validation, fillPriceToleranceBps: 2 } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await natsWithStreams(cfg, 'external-fill-price', cleanup);
    const registry = await trainedRegistry([BTC], Date.UTC(2024, 0, 1));
    const riskStore = createMemoryRiskStore();
    const order = { venue: cfg.venue, symbol: BTC, strategy: cfg.strategy.name, qty: 0.1, expiresAt: T + 3_600_000 };
    const book = bookWithOrders([
      { ...order, id: 'o:buy', side: 'buy', limitPrice: BUY_LIMIT },
      { ...order, id: 'o:sell', side: 'sell', limitPrice: SELL_LIMIT },
    ]);
    await riskStore.saveBook(cfg.risk.account, { ...book, book: { ...book.book, marks: [[bookKey(cfg.venue, BTC), { mid: MID, ts: T }]] } }, 0);
    const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
    const risk = engine.decisions?.risk;
    if (risk === undefined) throw new Error('no decisions');
    const nc = await connect({ servers: NATS_URL, name: 'external-fill-price-desk' });
    cleanup.push(() => nc.close());

    const fill = (orderId: string, n: number, side: 'buy' | 'sell', price: number): Fill => ({
      type: 'exec.fill', v: 1, id: fillId(orderId, n), ts: T + n, orderId, strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, side, qty: 0.02, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: false,
    });
    const fills = [
      fill('o:buy', 0, 'buy', 420_040), // a unit error: refused
      fill('o:buy', 1, 'buy', BUY_LIMIT * 1.0003), // 3 bps above the limit: refused at 2 bps
      fill('o:buy', 2, 'buy', 42_004.07), // the limit rounded up to the tick: booked
      fill('o:buy', 3, 'buy', 41_990), // better than the limit: booked
      fill('o:sell', 0, 'sell', 4_199.5935075), // a unit error: refused
      fill('o:sell', 1, 'sell', 41_995.93), // the limit rounded down to the tick: booked
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
    await publishFill(nc, fill('o:buy', 4, 'buy', BUY_LIMIT), { prefix: cfg.prefix });
    while ((engine.decisions?.path.stats().fills ?? 0) < 4 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(risk.core.status().positions.find((p) => p.symbol === BTC)?.qty).toBeCloseTo(0.04, 12);
  }, 120_000);
});

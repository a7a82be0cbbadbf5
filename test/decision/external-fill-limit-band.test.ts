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
    const cfg = isolatedConfig([ETH], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await natsWithStreams(cfg, 'external-fill-limit-band', cleanup);
    const registry = await trainedRegistry([ETH], Date.UTC(2024, 0, 1));
    const riskStore = createMemoryRiskStore();
    const order = { venue: cfg.venue, symbol: ETH, strategy: cfg.strategy.name, qty: 1, expiresAt: T + 3_600_000, refPrice: MID };
    const book = bookWithOrders([
      { ...order, id: 'o:lbuy', side: 'buy', limitPrice: MID },
      { ...order, id: 'o:lsell', side: 'sell', limitPrice: 2770 },
    ]);
    await riskStore.saveBook(cfg.risk.account, { ...book, book: { ...book.book, marks: [[bookKey(cfg.venue, ETH), { mid: MID, ts: T }]] } }, 0);
    const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
    const risk = engine.decisions?.risk;
    if (risk === undefined) throw new Error('no decisions');
    const nc = await connect({ servers: NATS_URL, name: 'external-fill-limit-band-desk' });
    cleanup.push(() => nc.close());

    const fill = (orderId: string, n: number, side: 'buy' | 'sell', price: number): Fill => ({
      type: 'exec.fill', v: 1, id: fillId(orderId, n), ts: T + n, orderId, strategy: cfg.strategy.name, venue: cfg.venue, symbol: ETH, side, qty: 0.2, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: false,
    });
    const fills = [
      fill('o:lbuy', 0, 'buy', 277.98), // a unit error: a tenth of the limit, refused
      fill('o:lbuy', 1, 'buy', 2700), // price improvement within the band: booked
      fill('o:lsell', 0, 'sell', 27_797.9), // ten times the market: refused
      fill('o:lsell', 1, 'sell', 2800), // booked
    ];
    for (const f of fills) await publishFill(nc, f, { prefix: cfg.prefix });

    const dead = async (): Promise<DlqEntry[]> => {
      const { messages } = await bus.readFrom(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      return messages.map((m) => DlqEntrySchema.parse(JSON.parse(decodeText(m.data))));
    };
    const deadline = performance.now() + 20_000;
    while (((engine.decisions?.path.stats().fills ?? 0) < 2 || (await dead()).length < 2) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const entries = await dead();
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

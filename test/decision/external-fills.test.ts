import { describe, expect, it } from 'vitest';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { decodeText, encode } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { approvedBtcBuys, liveFill, startLiveEngine } from '../support/live-engine.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const T = Date.UTC(2024, 0, 2);

/**
 * An engine on BTC/USDT with the paper venue off, on the memory bus: fills come only from outside,
 * of the orders (BTC/USDT buys of `qty` by the engine's strategy) its risk actor approved before a restart.
 */
async function liveFillEngine(orders: readonly Readonly<{ id: string; qty: number; expiresAt?: number }>[] = [{ id: 'o:live', qty: 0.01 }]) {
  const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
  const subjects = subjectsFor(cfg.prefix);
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const registry = await trainedRegistry(['BTC/USDT'], Date.UTC(2024, 0, 1));
  const riskStore = createMemoryRiskStore();
  const approved = approvedBtcBuys(cfg, orders.map((o) => ({ ...o, expiresAt: o.expiresAt ?? T + 3_600_000 })));
  await riskStore.saveBook(cfg.risk.account, bookWithOrders(approved), 0);
  const engine = await startLiveEngine(cfg, { bus, registry, riskStore });
  return { cfg, subjects, bus, engine };
}

describe('fills from live trading consumers (paper venue off)', () => {
  it('reach the risk actor through sx.exec.fill; bad ones and bad model events go to sx.dlq.decisions', async () => {
    const { cfg, subjects, bus, engine } = await liveFillEngine([
      { id: 'o:live', qty: 0.01 },
      { id: 'o:live:3', qty: 0.01 },
    ]);
    try {
      const fill = liveFill(cfg, T);
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill), { msgId: fill.id });
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), new TextEncoder().encode('{"type":"exec.fill"'), { msgId: 'bad' });
      // Valid by the schema, but no subject can name venue `my_venue`: refused once, not retried
      // forever in front of the fills behind it.
      const unroutable: Fill = { ...fill, id: 'x:live:2', venue: 'my_venue' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(unroutable), { msgId: unroutable.id });
      const second: Fill = { ...fill, id: 'x:live:3', orderId: 'o:live:3', ts: fill.ts + 1 };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(second), { msgId: second.id });
      // A model event that is not JSON, and one that is not a model event: dead letters, the engine lives on.
      bus.emit(subjects.model(cfg.strategy.model.split('@')[0] ?? '', 'promoted'), new TextEncoder().encode('not json'));
      bus.emit(subjects.model(cfg.strategy.model.split('@')[0] ?? '', 'promoted'), encode({ event: 'promoted' }));
      const deadline = performance.now() + 10_000;
      const position = (): number => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      while ((position() < 0.015 || (await dead()) < 4) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(position()).toBeCloseTo(0.02, 12);
      expect(engine.decisions?.path.stats().fills).toBe(2);
      expect(await dead()).toBe(4);
      // One that is no object at all: its detail names the issue, not ": …" (an issue of the whole message has no path).
      bus.emit(subjects.model(cfg.strategy.model.split('@')[0] ?? '', 'promoted'), encode([1]));
      while ((await dead()) < 5 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const last = await bus.lastMessage(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const entry = DlqEntrySchema.parse(JSON.parse(decodeText(last?.data ?? new Uint8Array())));
      expect(entry).toMatchObject({ reason: 'SCHEMA' });
      expect(entry.detail).not.toMatch(/^:/);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });

  it('refuses a fill whose venue or symbol is not its subject\'s (SUBJECT_MISMATCH) or of an asset the engine does not trade (UNKNOWN_SYMBOL), counted and dead-lettered, and applies the next', async () => {
    const { cfg, subjects, bus, engine } = await liveFillEngine();
    try {
      const btc: Fill = { type: 'exec.fill', v: 1, id: 'x:live:btc', ts: T, orderId: 'o:live', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
      // As publishFill sends it, on its own subject: ETH/USDT is no asset of this engine (UNKNOWN_SYMBOL).
      const ethOwn: Fill = { ...btc, id: 'x:live:eth-own', symbol: 'ETH/USDT', qty: 1, price: 2_300 };
      await bus.publish(subjects.fill(cfg.venue, 'ETH/USDT'), encode(ethOwn), { msgId: ethOwn.id });
      // Hand-published: an ETH fill on the BTC subject, and a fill of another venue on it.
      const eth: Fill = { ...ethOwn, id: 'x:live:eth' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(eth), { msgId: eth.id });
      const otherVenue: Fill = { ...btc, id: 'x:live:kraken', venue: 'kraken' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(otherVenue), { msgId: otherVenue.id });
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(btc), { msgId: btc.id });
      const positions = (): readonly { symbol: string; venue: string; qty: number }[] => engine.decisions?.risk.status().positions ?? [];
      const qty = (venue: string, symbol: string): number => positions().find((p) => p.venue === venue && p.symbol === symbol)?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const deadline = performance.now() + 10_000;
      while ((qty(cfg.venue, 'BTC/USDT') === 0 || (await dead()) < 3) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(qty(cfg.venue, 'BTC/USDT')).toBeCloseTo(0.01, 12);
      expect(qty(cfg.venue, 'ETH/USDT')).toBe(0);
      expect(qty('kraken', 'BTC/USDT')).toBe(0);
      expect(engine.decisions?.path.stats().fills).toBe(1);
      expect(await dead()).toBe(3);
      const last = await bus.lastMessage(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const entry = DlqEntrySchema.parse(JSON.parse(decodeText(last?.data ?? new Uint8Array())));
      expect(entry).toMatchObject({ source: 'decisions', reason: 'SUBJECT_MISMATCH', subject: subjects.fill(cfg.venue, 'BTC/USDT') });
      expect(entry.detail).toContain(subjects.fill('kraken', 'BTC/USDT'));
      expect(engine.counters.refused['SUBJECT_MISMATCH']).toBe(2);
      expect(engine.counters.refused['UNKNOWN_SYMBOL']).toBe(1);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
  it('books a fill only against an order its risk actor approved, as approved: UNKNOWN_ORDER and ORDER_MISMATCH (side, strategy, more than is left) are counted and dead-lettered', async () => {
    const { cfg, subjects, bus, engine } = await liveFillEngine([{ id: 'o:a', qty: 1 }]);
    try {
      const base: Fill = { type: 'exec.fill', v: 1, id: 'x:a:1', ts: T, orderId: 'o:a', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.6, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: false };
      const fills: Fill[] = [
        { ...base, id: 'x:nobody:1', orderId: 'o:nobody' }, // UNKNOWN_ORDER
        { ...base, id: 'x:a:side', side: 'sell', qty: 0.1 }, // ORDER_MISMATCH: a sell of a buy
        { ...base, id: 'x:a:strategy', strategy: 'other', qty: 0.1 }, // ORDER_MISMATCH: another strategy's
        { ...base, id: 'x:a:1' }, // 0.6 of 1: booked
        { ...base, id: 'x:a:over', ts: T + 1 }, // 0.6 of the 0.4 left: ORDER_MISMATCH
        { ...base, id: 'x:a:2', ts: T + 2, qty: 0.4, final: true }, // the rest: booked
        { ...base, id: 'x:a:after', ts: T + 3, qty: 0.1 }, // after the final fill: ORDER_MISMATCH
      ];
      for (const f of fills) await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(f), { msgId: f.id });
      const position = (): number => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const deadline = performance.now() + 10_000;
      while ((await dead()) < 5 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await dead()).toBe(5);
      expect(position()).toBeCloseTo(1, 12);
      expect(engine.decisions?.path.stats().fills).toBe(2);
      expect(engine.counters.refused['UNKNOWN_ORDER']).toBe(1);
      expect(engine.counters.refused['ORDER_MISMATCH']).toBe(4);
      const last = await bus.lastMessage(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const entry = DlqEntrySchema.parse(JSON.parse(decodeText(last?.data ?? new Uint8Array())));
      expect(entry).toMatchObject({ source: 'decisions', reason: 'ORDER_MISMATCH' });
      // It read 'fill of 0.1 is more than the 0 order o:a had left', as if the desk got a quantity wrong.
      expect(entry.detail).toBe('order o:a was filled in full already: nothing is left for a fill of 0.1');
      expect(JSON.parse(entry.payload)).toMatchObject({ id: 'x:a:after' });
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
  it('dead-letters a refused fill sent twice (a broker re-sending it) as two entries, as the counters count two refusals', async () => {
    const { cfg, subjects, bus, engine } = await liveFillEngine([{ id: 'o:live', qty: 0.01 }]);
    try {
      const nobody: Fill = { type: 'exec.fill', v: 1, id: 'x:nobody', ts: T, orderId: 'o:nobody', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
      const ok: Fill = { ...nobody, id: 'x:live', orderId: 'o:live' };
      // No Nats-Msg-Id (a sender that sets none): each copy is a message of the stream, refused and counted.
      for (const f of [nobody, nobody, ok]) await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(f));
      const position = (): number => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const deadline = performance.now() + 10_000;
      while (position() === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(position()).toBeCloseTo(0.01, 12);
      expect(engine.counters.refused['UNKNOWN_ORDER']).toBe(2);
      expect(await dead()).toBe(2);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
  it('refuses a fill stamped more than validation.maxAheadMs after the engine\'s clock (SCHEMA): booked, it would move the risk day to its date', async () => {
    const { cfg, subjects, bus, engine } = await liveFillEngine([
      { id: 'o:future', qty: 0.01, expiresAt: Date.now() + 10 * 365 * 86_400_000 },
      { id: 'o:live', qty: 0.01 },
    ]);
    try {
      const future: Fill = { type: 'exec.fill', v: 1, id: 'x:future', ts: Date.now() + 365 * 86_400_000, orderId: 'o:future', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
      const now: Fill = { ...future, id: 'x:live', orderId: 'o:live', ts: T };
      for (const f of [future, now]) await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(f), { msgId: f.id });
      const position = (): number => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const deadline = performance.now() + 10_000;
      while ((position() === 0 || (await dead()) < 1) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(position()).toBeCloseTo(0.01, 12);
      expect(await dead()).toBe(1);
      expect(engine.counters.refused['SCHEMA']).toBe(1);
      const last = await bus.lastMessage(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      const entry = DlqEntrySchema.parse(JSON.parse(decodeText(last?.data ?? new Uint8Array())));
      expect(entry.detail).toMatch(/ms ahead of the engine's clock \(at most 60000 ms, validation\.maxAheadMs\)/);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
});

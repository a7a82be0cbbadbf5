import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createHub } from '../../../gateways/ws/hub.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { backUpSocket, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const M = 60_000;
const H = 60 * M;
const bar = (symbol: string, tf: '1m' | '1h', ts: number, close: number) => ({
  type: 'md.bar', v: 1, id: `b:${symbol}:${tf}:${ts}`, venue: 'binance', symbol, tf, ts, open: close, high: close, low: close, close, volume: 1,
});

type Frame = Readonly<{ type: string; topic?: string; seq?: number; snapshot?: number; conflated?: boolean; data?: { type?: string; symbol?: string; tf?: string; ts?: number; close?: number } }>;
const frames = (c: RawFeedClient): Frame[] => c.messages as Frame[];
const mdOf = (c: RawFeedClient, type: 'snapshot' | 'delta'): Frame[] => frames(c).filter((m) => m.type === type && m.topic === 'md');
/** `symbol tf hh:mm close` of each bar frame, as a chart would draw it. */
const drawn = (fs: readonly Frame[]): string[] => fs.map((f) => `${f.data?.symbol} ${f.data?.tf} ${f.data?.ts === undefined ? '?' : f.data.ts / M} ${f.data?.close}`);

/**
 * The `md` snapshot held only the newest bar of each venue, symbol and timeframe: a dashboard
 * opened after the bars went by (the end of a demo, a reload) drew one candle per chart. It now
 * holds the last `gateway.mdSnapshotBars` of each, sent on subscribe in seq order.
 */
describe('websocket feed: the md snapshot holds the last bars of each symbol and timeframe (real NATS)', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('a client that subscribes late is sent the last mdSnapshotBars bars of each slot, a bar of an open time already held replacing it, the newest trade only', async () => {
    gw = await startTestGateway({ config: { mdSnapshotBars: 3 } });
    const g = gw;
    for (let n = 0; n < 5; n++) {
      g.bus.emit(g.subjects.bar('binance', 'BTC/USDT', '1h'), json(bar('BTC/USDT', '1h', n * H, 100 + n)));
      g.bus.emit(g.subjects.bar('binance', 'ETH/USDT', '1h'), json(bar('ETH/USDT', '1h', n * H, 10 + n)));
    }
    g.bus.emit(g.subjects.bar('binance', 'BTC/USDT', '1m'), json(bar('BTC/USDT', '1m', 4 * H, 200)));
    // The hour of 04:00 again, corrected: it replaces the one held, it does not push 02:00 out.
    g.bus.emit(g.subjects.bar('binance', 'BTC/USDT', '1h'), json(bar('BTC/USDT', '1h', 4 * H, 105)));
    for (const price of [1, 2]) g.bus.emit(g.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', v: 1, id: `t:${price}`, venue: 'binance', symbol: 'BTC/USDT', ts: 4 * H + price, price, qty: 1, side: 'buy' }));
    await until(() => g.hub.stats().seq.md === 14);

    const late = await connectRaw(g.wsUrl, VIEWER);
    late.send({ op: 'subscribe', topic: 'md' });
    await until(() => frames(late).some((m) => m.type === 'subscribed'));
    expect(frames(late).find((m) => m.type === 'subscribed')?.snapshot).toBe(8);
    await until(() => mdOf(late, 'snapshot').length === 8);
    const snap = mdOf(late, 'snapshot');
    expect(snap.map((f) => f.seq)).toEqual([...snap.map((f) => f.seq as number)].sort((a, b) => a - b));
    expect(drawn(snap.filter((f) => f.data?.type === 'md.bar'))).toEqual([
      'BTC/USDT 1h 120 102',
      'ETH/USDT 1h 120 12',
      'BTC/USDT 1h 180 103',
      'ETH/USDT 1h 180 13',
      'ETH/USDT 1h 240 14',
      'BTC/USDT 1m 240 200',
      'BTC/USDT 1h 240 105',
    ]);
    expect(snap.filter((f) => f.data?.type === 'md.trade').map((f) => (f.data as { price?: number }).price)).toEqual([2]);
    // A symbol filter narrows it: BTC's bars and trade only.
    const btc = await connectRaw(g.wsUrl, VIEWER);
    btc.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    await until(() => frames(btc).some((m) => m.type === 'subscribed'));
    expect(frames(btc).find((m) => m.type === 'subscribed')?.snapshot).toBe(5);
    late.socket.destroy();
    btc.socket.destroy();
  });

  it('a client backed up when it subscribes is sent every bar of a snapshot longer than maxPendingFrames; live bars still conflate to the newest', async () => {
    // 2 slots x 30 bars = 60 snapshot frames, over maxPendingFrames (20): as the orders snapshot, not counted.
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000, maxPendingFrames: 20, mdSnapshotBars: 30 } });
    const g = gw;
    for (let n = 0; n < 40; n++) for (const s of ['BTC/USDT', 'ETH/USDT']) g.bus.emit(g.subjects.bar('binance', s, '1h'), json(bar(s, '1h', n * H, 100 + n)));
    await until(() => g.hub.stats().seq.md === 80);
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => frames(slow).some((m) => m.type === 'subscribed'));
    slow.pause();
    await backUpSocket(g);
    slow.send({ op: 'subscribe', topic: 'md' });
    await new Promise((r) => setTimeout(r, 100));
    // While its snapshot waits, BTC's next hour arrives: it stands in for the newest snapshot bar of its slot, as a snapshot frame.
    g.bus.emit(g.subjects.bar('binance', 'BTC/USDT', '1h'), json(bar('BTC/USDT', '1h', 40 * H, 140)));
    await until(() => g.hub.stats().seq.md === 81);
    slow.resume();
    await until(() => frames(slow).some((m) => m.type === 'subscribed' && m.topic === 'md') || slow.closeCode() !== undefined);
    expect(frames(slow).find((m) => m.type === 'subscribed' && m.topic === 'md')?.snapshot).toBe(60);
    await until(() => mdOf(slow, 'snapshot').length >= 60 || slow.closeCode() !== undefined);
    expect(slow.closeCode()).toBeUndefined();
    const btc = mdOf(slow, 'snapshot').filter((f) => f.data?.symbol === 'BTC/USDT').map((f) => (f.data?.ts ?? 0) / H);
    expect(btc).toEqual([...Array.from({ length: 29 }, (_, k) => k + 10), 40]);
    expect(mdOf(slow, 'snapshot').filter((f) => f.data?.symbol === 'ETH/USDT')).toHaveLength(30);
    await until(() => g.hub.stats().slowClients === 0);

    // Live bars for a backed-up client conflate as before: the newest of the slot, marked conflated.
    slow.pause();
    await backUpSocket(g);
    for (let n = 41; n < 45; n++) g.bus.emit(g.subjects.bar('binance', 'BTC/USDT', '1h'), json(bar('BTC/USDT', '1h', n * H, 100 + n)));
    await until(() => g.hub.stats().seq.md === 85);
    slow.resume();
    await until(() => mdOf(slow, 'delta').some((f) => f.data?.ts === 44 * H));
    expect(mdOf(slow, 'delta').map((f) => [(f.data?.ts ?? 0) / H, f.conflated === true])).toEqual([[44, true]]);
    expect(slow.closeCode()).toBeUndefined();
    slow.socket.destroy();
  });

  it('gateway.mdSnapshotBars: 200 by default, a positive integer up to 10 000, refused otherwise (config and hub)', () => {
    const gatewayOf = (gateway: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => loadConfig({ env, overrides: { gateway } }).gateway;
    expect(gatewayOf({}).mdSnapshotBars).toBe(200);
    expect(gatewayOf({}, { SEXTANT__gateway__mdSnapshotBars: '50' }).mdSnapshotBars).toBe(50);
    for (const bad of [0, -1, 1.5, 10_001, 'many']) expect(() => gatewayOf({ mdSnapshotBars: bad })).toThrow(/gateway\.mdSnapshotBars/);
    const limits = { maxBufferedBytes: 1 << 20, slowCloseMs: 5000, maxPendingFrames: 64, maxInboundPerSecond: 50 };
    expect(() => createHub({ bus: createMemoryBus(), subjects: subjectsFor('sx'), limits, heartbeatMs: 60_000, log: silentLogger, mdSnapshotBars: 0 })).toThrow('mdSnapshotBars must be a positive integer, got 0');
  });
});

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../../cli/engine-control.js';
import { startFeedStatusWatch } from '../../../cli/feed-status-watch.js';
import type { FeedView } from '../../../cli/feed-status-watch.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { configuredFeeds, createFeedStatusBoard } from '../../../gateways/market-data/feed-status.js';
import { startFeedStatusPublisher } from '../../../gateways/market-data/feed-status-publisher.js';
import { createCounters } from '../../../state/counters.js';
import { silentLogger } from '../../../state/logger.js';
import type { Bus } from '../../../streams/bus.js';
import { decodeText, encode } from '../../../streams/codec.js';
import { DlqEntrySchema } from '../../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../../streams/messages/dlq-entry.js';
import { FeedStatusSchema } from '../../../streams/messages/feed-status.js';
import type { FeedStatus } from '../../../streams/messages/feed-status.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { idleSupervisor } from '../../contract/model-registry.fixtures.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const T0 = 1_800_000_000_000;
const BAR = 'binance BTC/USDT bar 1m';

const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('feed status from sextant gateway to the engine on core NATS (sx.mdstatus.<venue>.<sym>, real NATS)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const bus = async (name: string): Promise<Bus> => {
    const b = await createNatsBus({ url: NATS_URL, name, connectTimeoutMs: 3000, requestTimeoutMs: 3000 });
    cleanups.push(() => b.close());
    return b;
  };

  it('the gateway publishes each feed at start, on each change and again every statusEveryMs, stamped with its clock; not on md.> (the MD stream does not keep it)', async () => {
    const prefix = `fs${randomBytes(4).toString('hex')}`;
    const subjects = subjectsFor(prefix);
    expect(subjects.feedStatus('binance', 'BTC/USDT')).toBe(`${prefix}.mdstatus.binance.BTC-USDT`);
    expect(subjects.streamSubjects.MD).toEqual([`${prefix}.md.>`]);
    const gw = await bus('fs-gateway');
    const engine = await bus('fs-engine');
    const got: FeedStatus[] = [];
    const md: string[] = [];
    engine.subscribe(subjects.allFeedStatus(), (_s, data) => got.push(FeedStatusSchema.parse(JSON.parse(decodeText(data)))));
    engine.subscribe(subjects.allMarketData(), (s) => md.push(s));
    await engine.flush();

    let t = T0;
    const board = createFeedStatusBoard(configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: true, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]), () => t);
    const pub = startFeedStatusPublisher({ board, bus: gw, subjects, now: () => t, everyMs: 300, publisher: 'sextant-gateway' });
    cleanups.push(() => pub.stop());
    await until('both feeds at start', () => got.length >= 2);
    expect(got.map((m) => [m.stream, m.state, m.ts])).toEqual([
      ['bar 1m', 'starting', T0],
      ['trade', 'starting', T0],
    ]);

    t = T0 + 1500;
    board.apply({ type: 'retrying', feed: BAR, attempt: 2, delayMs: 4000, code: 'NETWORK', error: 'ECONNRESET' });
    pub.changed();
    pub.changed(); // nothing changed since: nothing sent
    await until('the change', () => got.some((m) => m.state === 'retrying'));
    const change = got.find((m) => m.state === 'retrying');
    expect(change).toEqual({ type: 'md.status', v: 1, id: `mds:binance:BTC/USDT:bar1m:retrying:${T0 + 1500}`, ts: T0 + 1500, venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'retrying', code: 'NETWORK', reason: 'ECONNRESET', retryAt: T0 + 5500, restarts: 0, publisher: 'sextant-gateway' });
    const n = got.length;
    // The republish: every feed again, however long nothing changed.
    await until('a republish', () => got.length >= n + 2, 3000);
    expect(got.slice(n, n + 2).map((m) => [m.stream, m.state])).toEqual([
      ['bar 1m', 'retrying'],
      ['trade', 'starting'],
    ]);
    expect(got.filter((m) => m.state === 'retrying' && m.ts === T0 + 1500)).toHaveLength(2); // the change, and its republish (same clock)
    expect(md).toEqual([]);
  });

  it('the engine keeps the latest per feed with its age, shows it in ctl status (feeds) and /metrics; a bad one goes to sx.dlq.mdstatus with its reason; silent past 3× the interval it is unknown', async () => {
    const prefix = `fs${randomBytes(4).toString('hex')}`;
    const subjects = subjectsFor(prefix);
    const gw = await bus('fs-gateway');
    const engine = await bus('fs-engine');
    const dlq: DlqEntry[] = [];
    engine.subscribe(subjects.allDlq(), (_s, data) => dlq.push(DlqEntrySchema.parse(JSON.parse(decodeText(data)))));
    let now = T0 + 2000;
    const watch = startFeedStatusWatch({ bus: engine, subjects, now: () => now, everyMs: 10_000, log: silentLogger });
    cleanups.push(() => watch.stop());
    await engine.flush();

    let t = T0;
    const board = createFeedStatusBoard(configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: false, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]), () => t);
    const pub = startFeedStatusPublisher({ board, bus: gw, subjects, now: () => t, everyMs: 60_000, publisher: 'sextant-gateway' });
    cleanups.push(() => pub.stop());
    await until('starting heard', () => watch.feeds().length === 1);
    t = T0 + 1000;
    board.apply({ type: 'failed', feed: BAR, code: 'BAD_SYMBOL', error: 'binance does not list BTC/USDT' });
    pub.changed();
    await until('failed heard', () => watch.feeds()[0]?.state === 'failed');

    const ctl = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry: undefined, known: { symbols: [], strategies: [] }, feeds: watch });
    const expected: FeedView = { venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'failed', code: 'BAD_SYMBOL', reason: 'binance does not list BTC/USDT', restarts: 0, publisher: 'sextant-gateway', lastState: 'failed', ts: T0 + 1000, ageMs: 1000 };
    expect((ctl.status() as { feeds: unknown }).feeds).toEqual([expected]);

    const metrics = createEngineMetrics({ defaultMetrics: false });
    metrics.marketDataFeeds(() => watch.feeds());
    const text = await metrics.text();
    expect(text).toContain('sextant_market_data_feed_status_seen{venue="binance",symbol="BTC/USDT",stream="bar 1m",status="failed"} 1');
    expect(text).toContain('sextant_market_data_feed_status_seen{venue="binance",symbol="BTC/USDT",stream="bar 1m",status="live"} 0');
    expect(text).toContain('sextant_market_data_feed_status_age_seconds{venue="binance",symbol="BTC/USDT",stream="bar 1m"} 1');

    // An older status (delivered late) does not replace a newer one.
    gw.emit(subjects.feedStatus('binance', 'BTC/USDT'), encode({ type: 'md.status', v: 1, id: 'old', ts: T0 - 5, venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'live', restarts: 0, publisher: 'x' }));
    // Bad ones: no state, and a status of one asset on another's subject.
    gw.emit(subjects.feedStatus('binance', 'BTC/USDT'), encode({ type: 'md.status', v: 1, id: 'b1', ts: T0, venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', restarts: 0, publisher: 'x' }));
    gw.emit(subjects.feedStatus('binance', 'ETH/USDT'), encode({ type: 'md.status', v: 1, id: 'b2', ts: T0, venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'live', restarts: 0, publisher: 'x' }));
    await until('two dead letters', () => dlq.length === 2);
    expect(watch.refused()).toBe(2);
    expect(dlq.map((d) => [d.source, d.reason])).toEqual([
      ['mdstatus', 'SCHEMA'],
      ['mdstatus', 'SUBJECT_MISMATCH'],
    ]);
    expect(dlq[0]?.detail).toContain('state');
    expect(watch.feeds()[0]?.state).toBe('failed');

    // The gateway silent (stopped, or cut off) past 3 × statusEveryMs: unknown, saying its last word.
    now = T0 + 1000 + 30_001;
    const silent = watch.feeds()[0];
    expect(silent?.state).toBe('unknown');
    expect(silent?.lastState).toBe('failed');
    expect(silent?.reason).toBe('gateway silent: its last status (failed) is 30001 ms old, past 3 × 10000 ms');
    expect(silent?.code).toBeUndefined();
    expect(await metrics.text()).toContain('sextant_market_data_feed_status_seen{venue="binance",symbol="BTC/USDT",stream="bar 1m",status="unknown"} 1');
  });
});

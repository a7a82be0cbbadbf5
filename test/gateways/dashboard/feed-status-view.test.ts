import { describe, expect, it } from 'vitest';
import type { Supervisor } from '../../../actors/supervisor.js';
import { startEngineStatusFeed } from '../../../cli/engine-status-feed.js';
import { startFeedStatusWatch } from '../../../cli/feed-status-watch.js';
import { feedRow } from '../../../gateways/dashboard/src/feed-view.js';
import type { FeedRow } from '../../../gateways/dashboard/src/feed-view.js';
import { parsePayload } from '../../../gateways/dashboard/src/topics.js';
import { createCounters } from '../../../state/counters.js';
import { silentLogger } from '../../../state/logger.js';
import type { FeedStatus } from '../../../streams/messages/feed-status.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';

const T0 = Date.UTC(2024, 0, 2, 15, 0);
const EVERY = 10_000;
const trade: FeedStatus = { type: 'md.status', v: 1, id: 'mds:1', ts: T0, venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'live', restarts: 0, publisher: 'sextant-gateway' };
const bar: FeedStatus = { ...trade, id: 'mds:2', stream: 'bar 1m', state: 'retrying', code: 'NETWORK', reason: 'ECONNRESET', retryAt: T0 + 30_000, restarts: 1 };

/** A payload as the page reads it off the feed (JSON, the dashboard's schema), as a row of its feeds panel. */
const asPageReadsIt = (key: string, data: unknown): FeedRow & { dataKey: string } => {
  const parsed = parsePayload('feeds', key, 'delta', JSON.parse(JSON.stringify(data)));
  if (!parsed.ok) throw new Error(parsed.reason);
  if (parsed.payload.topic !== 'feeds') throw new Error('not a feed');
  return { ...feedRow(parsed.payload.data), dataKey: key };
};

describe("the dashboard's market-data feeds: the engine's feed-status watch on the `feeds` topic", () => {
  it("publishes each feed as ctl status says it, again at once on a change of state, not for its age alone, and as unknown once the gateway is silent", async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    let now = T0 + 1_000;
    const watch = startFeedStatusWatch({ bus, subjects, now: () => now, everyMs: EVERY, log: silentLogger });
    const say = async (s: FeedStatus): Promise<void> => {
      bus.emit(subjects.feedStatus(s.venue, s.symbol), new TextEncoder().encode(JSON.stringify(s)));
      await new Promise((r) => setTimeout(r, 0));
    };
    await say(trade);
    await say(bar);
    const supervisor: Supervisor = { status: () => [], halt: () => undefined, resume: () => undefined, restartGivenUp: () => [], stop: async () => undefined };
    const sent: ReturnType<typeof asPageReadsIt>[] = [];
    // The full publish never comes in this test: what goes out after the first is the 10 ms check's.
    const status = startEngineStatusFeed({
      engine: { supervisor, decisions: undefined, labeling: undefined, counters: createCounters() },
      hub: { publishLocal: (topic, key, data) => void (topic === 'feeds' && sent.push(asPageReadsIt(key, data))) },
      bus: { consumerInfo: async () => undefined },
      consumers: [],
      intervalMs: 3_600_000,
      checkMs: 10,
      feeds: watch,
      log: silentLogger,
    });
    const checks = (n: number): Promise<void> => new Promise((r) => setTimeout(r, 10 * n + 5));
    try {
      expect(sent).toEqual([
        { dataKey: 'binance:BTC/USDT:bar 1m', key: 'binance:BTC/USDT:bar 1m', venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'retrying', live: false, age: '1 s', reason: 'NETWORK: ECONNRESET (next try 15:00:30 UTC)' },
        { dataKey: 'binance:BTC/USDT:trade', key: 'binance:BTC/USDT:trade', venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'live', live: true, age: '1 s', reason: '' },
      ]);
      sent.length = 0;
      // Older by 20 s, the gateway's republish restamped: nothing changed that the check sends.
      now = T0 + 20_000;
      await say({ ...trade, id: 'mds:3', ts: T0 + 10_000 });
      await checks(3);
      expect(sent).toEqual([]);
      // The bar feed is live again: sent at the next check, without waiting for the full publish.
      await say({ ...bar, id: 'mds:4', ts: T0 + 19_000, state: 'live', code: undefined, reason: undefined, retryAt: undefined });
      await expect.poll(() => sent.map((r) => [r.stream, r.state, r.age, r.reason])).toEqual([['bar 1m', 'live', '1 s', '']]);
      sent.length = 0;
      // The gateway falls silent: past 3 × statusEveryMs each feed reads unknown, with the engine's reason, as ctl status says it.
      now = T0 + 10_000 + 3 * EVERY + 1;
      await expect.poll(() => sent.map((r) => [r.stream, r.state, r.live])).toEqual([['trade', 'unknown', false]]);
      expect(sent[0]?.reason).toBe(watch.feeds().find((f) => f.stream === 'trade')?.reason);
      expect(sent[0]?.reason).toMatch(/^gateway silent: its last status \(live\) is 30001 ms old/);
      // Later the bar feed's last word is as old: unknown too, sent; the trade feed, its age and
      // reason grown, is not sent again before the full publish.
      now = T0 + 19_000 + 3 * EVERY + 1;
      await expect.poll(() => sent.map((r) => [r.stream, r.state])).toEqual([
        ['trade', 'unknown'],
        ['bar 1m', 'unknown'],
      ]);
      await checks(3);
      expect(sent).toHaveLength(2);
      status.flush();
      expect(sent.slice(2).map((r) => [r.stream, r.state, r.age])).toEqual([
        ['bar 1m', 'unknown', '30 s'],
        ['trade', 'unknown', '39 s'],
      ]);
    } finally {
      status.stop();
      watch.stop();
      await bus.close();
    }
  });

  it('forgets a feed its gateway runs no more (it republishes the others, not this one), says it gone on the feeds topic, and keeps the feeds of a gateway silent altogether', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    let now = T0;
    const watch = startFeedStatusWatch({ bus, subjects, now: () => now, everyMs: EVERY, log: silentLogger });
    const say = async (s: FeedStatus): Promise<void> => {
      bus.emit(subjects.feedStatus(s.venue, s.symbol), new TextEncoder().encode(JSON.stringify(s)));
      await new Promise((r) => setTimeout(r, 0));
    };
    const eth: FeedStatus = { ...trade, id: 'mds:e', symbol: 'ETH/USDT' };
    // Another gateway (another venue, its own publisher): silent from the start, never forgotten.
    const other: FeedStatus = { ...trade, id: 'mds:o', venue: 'kraken', publisher: 'kraken-gateway' };
    await say(trade);
    await say(eth);
    await say(other);
    const supervisor: Supervisor = { status: () => [], halt: () => undefined, resume: () => undefined, restartGivenUp: () => [], stop: async () => undefined };
    const sent: { key: string; state: string }[] = [];
    const status = startEngineStatusFeed({
      engine: { supervisor, decisions: undefined, labeling: undefined, counters: createCounters() },
      hub: { publishLocal: (topic, key, data) => void (topic === 'feeds' && sent.push({ key, state: asPageReadsIt(key, data).state })) },
      bus: { consumerInfo: async () => undefined },
      consumers: [],
      intervalMs: 3_600_000,
      checkMs: 10,
      feeds: watch,
      log: silentLogger,
    });
    const keys = (): string[] => watch.feeds().map((f) => `${f.venue}:${f.symbol}:${f.stream}`);
    try {
      expect(keys()).toEqual(['binance:BTC/USDT:trade', 'binance:ETH/USDT:trade', 'kraken:BTC/USDT:trade']);
      sent.length = 0;
      // The binance gateway restarts with BTC/USDT only: it republishes that feed every interval, ETH no more.
      for (let i = 1; i <= 3; i++) {
        now = T0 + i * EVERY;
        await say({ ...trade, id: `mds:t${i}`, ts: now });
      }
      // 3 intervals: ETH's last status is as old as the silence bound, not past it: still listed.
      expect(keys()).toContain('binance:ETH/USDT:trade');
      now = T0 + 3 * EVERY + 1;
      await say({ ...trade, id: 'mds:t4', ts: now });
      expect(keys()).toEqual(['binance:BTC/USDT:trade', 'kraken:BTC/USDT:trade']);
      await expect.poll(() => sent).toContainEqual({ key: 'binance:ETH/USDT:trade', state: 'gone' });
      // The kraken gateway, silent all along: its feed stays, unknown, however long.
      now = T0 + 100 * EVERY;
      await say({ ...trade, id: 'mds:t5', ts: now });
      expect(watch.feeds().map((f) => [f.venue, f.state])).toEqual([
        ['binance', 'live'],
        ['kraken', 'unknown'],
      ]);
      // Heard again (the gateway runs it again): listed and sent again.
      sent.length = 0;
      await say({ ...eth, id: 'mds:e2', ts: now });
      expect(keys()).toContain('binance:ETH/USDT:trade');
      await expect.poll(() => sent).toContainEqual({ key: 'binance:ETH/USDT:trade', state: 'live' });
    } finally {
      status.stop();
      watch.stop();
      await bus.close();
    }
  });

  it('writes ages coarsely and a reason without a code', () => {
    const row = (ageMs: number, extra: Partial<FeedStatus> = {}): FeedRow => feedRow({ venue: 'v', symbol: 'S', stream: 'trade', state: 'stale', ageMs, ...extra } as Parameters<typeof feedRow>[0]);
    expect([row(119_999), row(120_000), row(2 * 3_600_000), row(3 * 86_400_000)].map((r) => r.age)).toEqual(['119 s', '2 min', '2 h', '3 d']);
    expect(row(0, { reason: 'no message for 90000 ms' }).reason).toBe('no message for 90000 ms');
  });
});

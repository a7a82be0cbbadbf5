import { describe, expect, it } from 'vitest';
import { feedDownNote, feedView, startFeedStatusWatch } from '../../cli/feed-status-watch.js';
import type { FeedView } from '../../cli/feed-status-watch.js';
import { FeedStatusSchema, feedStatusId } from '../../streams/messages/feed-status.js';
import type { FeedStatus } from '../../streams/messages/feed-status.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';

const T0 = 1_800_000_000_000;
const status: FeedStatus = { type: 'md.status', v: 1, id: 'mds:binance:BTC/USDT:bar1m:retrying:1', ts: T0, venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'retrying', code: 'NETWORK', reason: 'ECONNRESET', retryAt: T0 + 4000, restarts: 1, publisher: 'sextant-gateway' };

describe('md.status v1 (sx.mdstatus.<venue>.<sym>)', () => {
  it('takes a status and refuses what is not one', () => {
    expect(FeedStatusSchema.parse(status)).toEqual(status);
    const { code: _c, reason: _r, retryAt: _a, ...live } = status;
    expect(FeedStatusSchema.safeParse({ ...live, state: 'live' }).success).toBe(true);
    expect(FeedStatusSchema.safeParse({ ...status, v: 2 }).success).toBe(false);
    expect(FeedStatusSchema.safeParse({ ...status, state: 'dead' }).success).toBe(false);
    expect(FeedStatusSchema.safeParse({ ...status, restarts: -1 }).success).toBe(false);
    expect(FeedStatusSchema.safeParse({ ...status, publisher: '' }).success).toBe(false);
  });
  it('has a deterministic id from its feed, state and time', () => {
    expect(feedStatusId(status)).toBe(`mds:binance:BTC/USDT:bar1m:retrying:${T0}`);
    expect(feedStatusId({ ...status, ts: T0 + 1 })).not.toBe(feedStatusId(status));
  });
});

describe('the staleness rule: older than 3 × marketData.statusEveryMs is unknown (gateway silent)', () => {
  it('keeps the state up to 3 intervals, then says unknown with its last state, no code', () => {
    expect(feedView(status, T0 + 30_000, 10_000)).toMatchObject({ state: 'retrying', code: 'NETWORK', ageMs: 30_000 });
    const v = feedView(status, T0 + 30_001, 10_000);
    expect(v).toMatchObject({ state: 'unknown', lastState: 'retrying', ageMs: 30_001 });
    expect(v.code).toBeUndefined();
    expect(v.reason).toMatch(/^gateway silent/);
    // A gateway clock ahead of the engine's: age 0, not negative.
    expect(feedView(status, T0 - 500, 10_000).ageMs).toBe(0);
  });
  it('names only the feeds not live', () => {
    const live: FeedView = { ...feedView({ ...status, state: 'live' }, T0, 10_000) };
    expect(feedDownNote([live])).toBeUndefined();
    expect(feedDownNote([live, feedView(status, T0, 10_000)])).toBe('feed bar 1m retrying NETWORK: ECONNRESET');
  });
});

describe("the engine's feed-status watch logs each change of a feed's state", () => {
  it('warns when a feed is not live, with the gateway\'s code and reason, says when it is live again, and nothing for a repeat or an older status', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
    const rec = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
    const log: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), child: () => log };
    const watch = startFeedStatusWatch({ bus, subjects, now: () => T0, everyMs: 10_000, log });
    const send = async (s: FeedStatus): Promise<void> => {
      bus.emit(subjects.feedStatus(s.venue, s.symbol), new TextEncoder().encode(JSON.stringify(s)));
      await new Promise((r) => setTimeout(r, 0));
    };
    try {
      const { code: _c, reason: _r, retryAt: _a, ...rest } = status;
      const live: FeedStatus = { ...rest, state: 'live', id: 'mds:live:0', ts: T0 - 2000 };
      await send(live); // first word, live: nothing to say
      await send(status);
      await send({ ...status, id: 'mds:r2', ts: T0 + 10_000 }); // the same state again
      await send({ ...live, id: 'mds:old', ts: T0 - 1000 }); // older than the one kept: ignored
      await send({ ...live, id: 'mds:live:2', ts: T0 + 20_000 });
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'market-data feed not live (sextant gateway): feed bar 1m retrying NETWORK: ECONNRESET'],
        ['info', 'market-data feed live again (sextant gateway)'],
      ]);
      expect(lines[0]?.fields).toMatchObject({ venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'retrying', code: 'NETWORK', retryAt: new Date(T0 + 4000).toISOString(), restarts: 1 });
      expect(watch.feeds()).toMatchObject([{ state: 'live', ts: T0 + 20_000 }]);
    } finally {
      watch.stop();
      await bus.close();
    }
  });
});

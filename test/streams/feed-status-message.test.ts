import { describe, expect, it } from 'vitest';
import { withFeedNote } from '../../actors/reject-feed-note.js';
import { feedDownNote, feedView } from '../../cli/feed-status-watch.js';
import type { FeedView } from '../../cli/feed-status-watch.js';
import { FeedStatusSchema, feedStatusId } from '../../streams/messages/feed-status.js';
import type { FeedStatus } from '../../streams/messages/feed-status.js';
import type { Reject } from '../../streams/messages/reject.js';

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

describe('a market-data reject names the feed down in its detail only', () => {
  const reject: Reject = { type: 'exec.reject', v: 1, id: 'r:s1', ts: T0, strategy: 'm', venue: 'binance', symbol: 'BTC/USDT', suggestionId: 's1', reasons: ['STALE_MARKET_DATA'], detail: 'STALE_MARKET_DATA: mid is 90000 ms old' };
  it('adds the note to STALE_MARKET_DATA / NO_MARKET_DATA, the reasons and id unchanged', () => {
    const out = withFeedNote(reject, () => 'feed bar 1m failed BAD_SYMBOL: gone');
    expect(out).toEqual({ ...reject, detail: 'STALE_MARKET_DATA: mid is 90000 ms old; feed bar 1m failed BAD_SYMBOL: gone' });
    expect(withFeedNote({ ...reject, reasons: ['NO_MARKET_DATA'] }, () => 'x').detail).toMatch(/; x$/);
  });
  it('leaves any other reject, and one whose feeds are not known down, as it is', () => {
    expect(withFeedNote({ ...reject, reasons: ['POSITION_LIMIT'] }, () => 'x')).toEqual({ ...reject, reasons: ['POSITION_LIMIT'] });
    expect(withFeedNote(reject, () => undefined)).toBe(reject);
    expect(withFeedNote(reject, undefined)).toBe(reject);
  });
});

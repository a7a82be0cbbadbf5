import { describe, expect, it } from 'vitest';
import { createCatchUpWatch } from '../../../cli/catch-up-watch.js';
import { pnlOf } from '../../../cli/engine-status-feed.js';
import { catchUpText } from '../../../gateways/dashboard/src/catch-up-view.js';
import { PnlSchema } from '../../../gateways/dashboard/src/topics.js';
import { createRiskCore } from '../../../models/risk/risk-core.js';
import { silentLogger } from '../../../state/logger.js';
import { baseLimits, BTC, T0, VENUE } from '../../risk/risk-fixtures.js';

/** The engine catching up on a backlog, from its watch to the page's header. */
describe('catch-up on the dashboard', () => {
  it('the pnl payload carries the watch state as ctl status says it, and the page parses it', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC] } });
    const now = T0 + 6 * 3_600_000;
    const watch = createCatchUpWatch({ clock: { now: () => now }, thresholdMs: 3 * 3_600_000, log: silentLogger, from: c.status().asOf });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3_600_000, mid: 100 });
    watch.decided(T0 + 3_600_000); // the decision path's observer, as the event is decided
    const sent = JSON.parse(JSON.stringify(pnlOf(c.status(), watch.status()))) as unknown;
    const parsed = PnlSchema.parse(sent);
    expect(parsed.catchUp).toEqual({ catchingUp: true, behindMs: 5 * 3_600_000, asOf: T0 + 3_600_000, replay: false });
    expect(catchUpText(parsed.catchUp)?.label).toBe('engine catching up: deciding data from 5 h ago — orders may be expired for live desks');
    // Without a watch (no model served, a backtest) the payload says null, and the page says nothing.
    const bare = JSON.parse(JSON.stringify(pnlOf(c.status()))) as unknown;
    expect(PnlSchema.parse(bare).catchUp).toBeNull();
  });

  it('says how far behind in minutes, nothing when caught up or not said', () => {
    expect(catchUpText({ catchingUp: true, behindMs: 47 * 60_000, asOf: Date.UTC(2024, 0, 2, 3, 0) })).toEqual({
      label: 'engine catching up: deciding data from 47 min ago — orders may be expired for live desks',
      detail: 'catching up on a backlog: its newest decided bar closed at 2024-01-02 03:00 UTC (event time)',
      replay: false,
    });
    expect(catchUpText({ catchingUp: true, behindMs: 3 * 86_400_000, asOf: null })?.label).toBe('engine catching up: deciding data from 3 d ago — orders may be expired for live desks');
    expect(catchUpText({ catchingUp: false, behindMs: 120_000, asOf: 1 })).toBeNull();
    expect(catchUpText(null)).toBeNull();
    expect(catchUpText(undefined)).toBeNull();
  });

  it('says a replay of a past window (sextant demo) as a neutral replaying <date>, not as a backlog', () => {
    // The demo's engine replays 2024 on today's clock: far behind by design, no live desk to warn.
    // It was shown as the amber 'engine catching up … orders may be expired for live desks'.
    const asOf = Date.UTC(2024, 2, 4, 13, 0);
    expect(catchUpText({ catchingUp: true, behindMs: 700 * 86_400_000, asOf, replay: true })).toEqual({
      label: 'replaying 2024-03-04 13:00 UTC',
      detail: "the engine replays a past window on its live clock: its newest decided bar closed at 2024-03-04 13:00 UTC (event time), 700 d behind the clock; its orders are the replay's, not for live desks",
      replay: true,
    });
    expect(catchUpText({ catchingUp: true, behindMs: null, asOf: null, replay: true })?.label).toBe('replaying a past window');
    expect(catchUpText({ catchingUp: false, behindMs: 1_000, asOf, replay: true })).toBeNull();
    // An engine from before `replay` leaves it out: a backlog, as it always was.
    expect(catchUpText({ catchingUp: true, behindMs: 47 * 60_000, asOf })?.replay).toBe(false);
  });

  it("carries the demo engine's replay from its watch through the pnl payload, and the page parses a feed without it", () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC] } });
    const now = T0 + 6 * 3_600_000;
    const watch = createCatchUpWatch({ clock: { now: () => now }, thresholdMs: 3 * 3_600_000, log: silentLogger, from: c.status().asOf, replay: true });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3_600_000, mid: 100 });
    watch.decided(T0 + 3_600_000);
    const parsed = PnlSchema.parse(JSON.parse(JSON.stringify(pnlOf(c.status(), watch.status()))) as unknown);
    expect(parsed.catchUp).toEqual({ catchingUp: true, behindMs: 5 * 3_600_000, asOf: T0 + 3_600_000, replay: true });
    expect(catchUpText(parsed.catchUp)).toMatchObject({ label: `replaying ${new Date(T0 + 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} UTC`, replay: true });
    // An older engine's feed has no replay: still valid.
    const old = PnlSchema.safeParse({ account: 'acc', realised: 0, unrealised: 0, equity: 0, positions: [], catchUp: { catchingUp: true, behindMs: 1, asOf: 1 } });
    expect(old.success).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { EventTimeLag, lagText } from '../../../gateways/dashboard/src/event-lag.js';

const H = 3_600_000;
const T0 = Date.UTC(2022, 10, 10, 14);
const bar = (ts: number) => ({ type: 'md.bar' as const, v: 1 as const, id: `b:${ts}`, venue: 'binance', symbol: 'BTC/USDT', tf: '1h' as const, ts, open: 1, high: 1, low: 1, close: 1, volume: 1 });

describe('dashboard: how far the page is behind the engine (event time)', () => {
  it('says the page is behind when the engine has marked prices more than two bars past the newest market data drawn', () => {
    const lag = new EventTimeLag();
    expect(lag.behind()).toBeNull();
    lag.md(bar(T0)); // closes at T0 + 1h
    lag.engine(T0 + H);
    expect(lag.behind()).toBeNull();
    // One bar ahead: the bar is on its way (the engine's book is published apart from the market data).
    lag.engine(T0 + 2 * H);
    expect(lag.behind()).toBeNull();
    // A fast replay: the engine two years on.
    const far = Date.UTC(2024, 11, 1, 9);
    lag.engine(far);
    expect(lag.behind()).toEqual({ page: T0 + H, engine: far, ms: far - T0 - H });
    expect(lagText(lag.behind())).toEqual({ label: 'live, but behind the engine by 751 d', detail: 'market data shown up to 2022-11-10 15:00 UTC, the engine is at 2024-12-01 09:00 UTC (event time)' });
    // Caught up.
    lag.md(bar(far - H));
    expect(lag.behind()).toBeNull();
    expect(lagText(null)).toBeNull();
  });

  it('on ticks, tolerates a minute; and says nothing before the engine or the market data is known', () => {
    const lag = new EventTimeLag();
    lag.engine(T0);
    expect(lag.behind()).toBeNull();
    lag.md({ type: 'md.trade', v: 1, id: 't', venue: 'binance', symbol: 'BTC/USDT', ts: T0 - 30_000, price: 1, qty: 1, side: 'buy' });
    expect(lag.behind()).toBeNull();
    lag.engine(T0 + 90_000);
    expect(lagText(lag.behind())?.label).toBe('live, but behind the engine by 2 min');
  });
});

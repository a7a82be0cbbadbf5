import { describe, expect, it } from 'vitest';
import { MarketDataConfigSchema } from '../../gateways/market-data/market-data-config.js';
import { TradingHoursSchema, tradingHoursOverlap } from '../../gateways/market-data/trading-hours.js';

const H = 3_600_000;
const utc = (s: string): number => Date.parse(`${s}Z`);
const nyse = tradingHoursOverlap({ timezone: 'America/New_York', week: { mon: '09:30-16:00', tue: '09:30-16:00', wed: '09:30-16:00', thu: '09:30-16:00', fri: '09:30-16:00' }, holidays: ['2024-12-25'] });

describe('trading hours: whether an interval falls in a market that closes', () => {
  it("reads the session in the exchange's zone, summer and winter time", () => {
    // July: New York is UTC-4, the session 13:30-20:00 UTC.
    expect(nyse(utc('2024-07-02T13:00:00'), utc('2024-07-02T13:00:00') + H)).toBe(true);
    expect(nyse(utc('2024-07-02T12:00:00'), utc('2024-07-02T12:00:00') + H)).toBe(false);
    expect(nyse(utc('2024-07-02T20:00:00'), utc('2024-07-02T20:00:00') + H)).toBe(false);
    // January: UTC-5, the session 14:30-21:00 UTC.
    expect(nyse(utc('2024-01-09T13:00:00'), utc('2024-01-09T13:00:00') + H)).toBe(false);
    expect(nyse(utc('2024-01-09T20:00:00'), utc('2024-01-09T20:00:00') + H)).toBe(true);
    expect(nyse(utc('2024-01-09T14:25:00'), utc('2024-01-09T14:30:00'))).toBe(false);
    expect(nyse(utc('2024-01-09T14:30:00'), utc('2024-01-09T14:35:00'))).toBe(true);
  });

  it('closes on a weekend and a listed holiday; a day bar overlapping the session is expected', () => {
    expect(nyse(utc('2024-07-06T15:00:00'), utc('2024-07-06T16:00:00'))).toBe(false); // Saturday
    expect(nyse(utc('2024-12-25T15:00:00'), utc('2024-12-25T16:00:00'))).toBe(false); // Wednesday, a holiday
    expect(nyse(utc('2024-12-26T15:00:00'), utc('2024-12-26T16:00:00'))).toBe(true);
    expect(nyse(utc('2024-07-05T00:00:00'), utc('2024-07-05T00:00:00') + 24 * H)).toBe(true); // Friday's day bar
    expect(nyse(utc('2024-07-06T00:00:00'), utc('2024-07-06T00:00:00') + 24 * H)).toBe(false); // Saturday's
  });

  it("takes forex's week: Sunday 17:00 to Friday 17:00 New York", () => {
    const fx = tradingHoursOverlap({ timezone: 'America/New_York', week: { sun: '17:00-24:00', mon: '00:00-24:00', tue: '00:00-24:00', wed: '00:00-24:00', thu: '00:00-24:00', fri: '00:00-17:00' } });
    expect(fx(utc('2024-07-03T03:00:00'), utc('2024-07-03T04:00:00'))).toBe(true); // a Tuesday night
    expect(fx(utc('2024-07-05T20:00:00'), utc('2024-07-05T21:00:00'))).toBe(true); // Friday 16:00 New York
    expect(fx(utc('2024-07-05T21:00:00'), utc('2024-07-05T22:00:00'))).toBe(false);
    expect(fx(utc('2024-07-07T20:00:00'), utc('2024-07-07T21:00:00'))).toBe(false); // Sunday 16:00
    expect(fx(utc('2024-07-07T21:00:00'), utc('2024-07-07T22:00:00'))).toBe(true);
  });

  it('refuses a malformed setting, naming it', () => {
    expect(TradingHoursSchema.safeParse({ timezone: 'Mars/Olympus', week: {} }).error?.issues[0]?.message).toContain('IANA time zone');
    expect(TradingHoursSchema.safeParse({ timezone: 'UTC', week: { mon: '16:00-09:30' } }).error?.issues[0]?.message).toContain('open before close');
    expect(TradingHoursSchema.safeParse({ timezone: 'UTC', week: { monday: '09:30-16:00' } }).success).toBe(false);
    expect(TradingHoursSchema.safeParse({ timezone: 'UTC', week: {}, holidays: ['25/12/2024'] }).success).toBe(false);
    const cfg = MarketDataConfigSchema.parse({ provider: 'twelvedata', tradingHours: { AAPL: { timezone: 'America/New_York', week: { mon: '09:30-16:00' } } } });
    expect(cfg.tradingHours['AAPL']).toEqual({ timezone: 'America/New_York', week: { mon: '09:30-16:00' }, holidays: [] });
  });
});

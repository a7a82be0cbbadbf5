import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { latencyTtlWarnings, unfilledWarning } from '../../cli/commands/backtest-warnings.js';
import type { OrderLife } from '../../cli/commands/backtest-warnings.js';
import { childTtlMs } from '../../cli/execution-settings.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { testDataDir } from '../support/data-dir.js';

describe('a backtest whose orders all expired unfilled says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-unfilled-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the orders, the expired ones and the settings to check; nothing when one filled or none was sent', () => {
    expect(unfilledWarning({ orders: 68, fills: 0, expired: 68 }, { latencyMs: 7_200_000, maxVolumeShare: 0.1 })).toBe(
      "none of the 68 orders filled (68 expired unfilled): check costs.latencyMs (7200000 ms) against the orders' time-to-live, costs.maxVolumeShare (0.1) and execution.limitOffsetBps (a passive limit the market never reaches)",
    );
    expect(unfilledWarning({ orders: 68, fills: 1, expired: 67 }, { latencyMs: 0, maxVolumeShare: 0.1 })).toBeUndefined();
    expect(unfilledWarning({ orders: 0, fills: 0, expired: 0 }, { latencyMs: 0, maxVolumeShare: 0.1 })).toBeUndefined();
  });

  // It said "check costs.latencyMs against the orders' time-to-live" whatever the cause, naming neither the time-to-live nor what to change.
  it('names the cause when the settings show it: a latency at or past the time-to-live, or a time-to-live shorter than a bar', () => {
    const HOUR = 3_600_000;
    const twap: OrderLife = { latencyMs: 7_200_000, policy: 'twap', childTtlMs: HOUR, horizonMs: 4 * HOUR, barMs: HOUR };
    const none = { orders: 12, fills: 0, expired: 12 };
    expect(unfilledWarning(none, { latencyMs: 7_200_000, maxVolumeShare: 0.1 }, twap)).toBe(
      "none of the 12 orders filled (12 expired unfilled): costs.latencyMs (7200000 ms) is at or past the orders' time-to-live (3600000 ms: execution.policy twap over the model's 14400000 ms horizon), so each expired before it could reach the market; give costs.latencyMs (--latency-ms, or paperVenue.latencyMs in the config) under 3600000 ms",
    );
    const immediate: OrderLife = { latencyMs: 0, policy: 'immediate', childTtlMs: 60_000, horizonMs: 4 * HOUR, barMs: HOUR };
    expect(unfilledWarning(none, { latencyMs: 0, maxVolumeShare: 0.1 }, immediate)).toBe(
      "none of the 12 orders filled (12 expired unfilled): the orders live 60000 ms: execution.policy immediate over the model's 14400000 ms horizon, less than a bar (3600000 ms); on bars alone an order meets only bars that open at or after it reaches the venue, so one that reaches it inside a bar (stamped after its symbol's last close) waits for the next bar's open and expires before it; give execution.policy twap or almgren-chriss (a child lives a bar or more) or a model with a longer horizon, or replay --ticks",
    );
    // Neither: the generic hint, with the time-to-live named.
    expect(unfilledWarning(none, { latencyMs: 0, maxVolumeShare: 0.1 }, { ...twap, latencyMs: 0 })).toBe(
      "none of the 12 orders filled (12 expired unfilled): check costs.latencyMs (0 ms) against the orders' time-to-live (3600000 ms: execution.policy twap over the model's 14400000 ms horizon), costs.maxVolumeShare (0.1) and execution.limitOffsetBps (a passive limit the market never reaches)",
    );
    expect(unfilledWarning({ orders: 12, fills: 1, expired: 11 }, { latencyMs: 7_200_000, maxVolumeShare: 0.1 }, twap)).toBeUndefined();
  });

  // The cause was always read off the settings: orders the venue cancelled at a hole in the data
  // (an expiry's one reason, counted as expiredAtGap) were blamed on the latency or the limit.
  it('names the orders the venue cancelled at a hole in the data, and the hole as the cause when it cancelled them all', () => {
    const HOUR = 3_600_000;
    const twap: OrderLife = { latencyMs: 0, policy: 'twap', childTtlMs: HOUR, horizonMs: 4 * HOUR, barMs: HOUR };
    const venue = { latencyMs: 0, maxVolumeShare: 0.1 };
    expect(unfilledWarning({ orders: 5, fills: 0, expired: 5, expiredAtGap: 5 }, venue, twap)).toBe(
      "none of the 5 orders filled (5 expired unfilled): each was cancelled at a hole in its symbol's data (the data resumed more than 1.5 bars after it stopped, and the venue fills no order across a hole; report.json's gaps list the holes)",
    );
    expect(unfilledWarning({ orders: 5, fills: 0, expired: 5, expiredAtGap: 2 }, venue, twap)).toMatch(
      /^none of the 5 orders filled \(5 expired unfilled, 2 of them cancelled at a hole in their symbol's data \(.*\)\): check costs\.latencyMs \(0 ms\)/,
    );
    expect(unfilledWarning({ orders: 5, fills: 0, expired: 5, expiredAtGap: 0 }, venue, twap)).toMatch(/^none of the 5 orders filled \(5 expired unfilled\): check /);
  });

  // The run only said so at its end ("none of the orders filled"), after the whole replay.
  it('says before the run when the latency is at or past the orders\' time-to-live, naming both', () => {
    const HOUR = 3_600_000;
    // A TWAP of 4 slices over a 4 h horizon on 1 h bars: each child lives an hour; immediate: its ttlMs.
    expect(childTtlMs(twapPolicy({ slices: 4 }), 4 * HOUR, HOUR)).toBe(HOUR);
    expect(childTtlMs(twapPolicy({ slices: 4 }), 2 * HOUR, HOUR)).toBe(HOUR);
    expect(childTtlMs(immediatePolicy({ ttlMs: 60_000 }), 4 * HOUR, HOUR)).toBe(60_000);
    const ttls = { policy: 'twap', childTtlMs: HOUR, horizonMs: 4 * HOUR, flattenTtlMs: 60_000 };
    expect(latencyTtlWarnings(HOUR, ttls)).toEqual([
      "costs.latencyMs (3600000 ms) is at or past the orders' time-to-live (3600000 ms: execution.policy twap over the model's 14400000 ms horizon): every order will expire before it can fill; give a latency under 3600000 ms",
      'costs.latencyMs (3600000 ms) is at or past execution.flattenTtlMs (60000 ms): a close to flat after a loss-limit breach (flattenWith: immediate) will expire before it can fill, each time it is re-sent',
    ]);
    expect(latencyTtlWarnings(HOUR - 1, { ...ttls, flattenTtlMs: HOUR })).toEqual([]);
    expect(latencyTtlWarnings(60_000, ttls)).toEqual([expect.stringMatching(/^costs\.latencyMs \(60000 ms\) is at or past execution\.flattenTtlMs/)]);
    expect(latencyTtlWarnings(0, { policy: 'twap', childTtlMs: HOUR, horizonMs: 4 * HOUR })).toEqual([]);
  });

  it('in report.json when a latency of two hours outlives every order (the report showed zero trades and no reason), and on stderr before the replay', async () => {
    let said = '';
    const progress = new Writable({
      write(chunk: Buffer, _enc, done) {
        said += chunk.toString('utf8');
        done();
      },
    });
    const report = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 15), capital: 10_000, report: join(dir, 'late'), costs: { latencyMs: 7_200_000 }, progress });
    expect(report.metrics.trades).toBe(0);
    expect(report.counts['orders']).toBeGreaterThan(0);
    expect(report.warnings.some((w) => /^none of the \d+ orders filled .*costs\.latencyMs \(7200000 ms\)/.test(w))).toBe(true);
    const early = said.indexOf("warning: costs.latencyMs (7200000 ms) is at or past the orders' time-to-live (");
    expect(early, said).toBeGreaterThanOrEqual(0);
    expect(early).toBeLessThan(said.indexOf(' backtest |')); // before the replay's progress bar
  }, 120_000);

  it('1 ms of latency on bars alone still fills (each order meets the next bar 1 ms after its open: none used to fill, every TWAP child expired)', async () => {
    const report = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 15), capital: 10_000, report: join(dir, 'one-ms'), costs: { latencyMs: 1 } });
    expect(report.counts['orders']).toBeGreaterThan(0);
    expect(report.counts['fills']).toBeGreaterThan(0);
    expect(report.metrics.trades).toBeGreaterThan(0);
    expect(report.warnings.filter((w) => /orders filled/.test(w))).toEqual([]);
  }, 120_000);
});

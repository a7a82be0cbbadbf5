import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { unfilledWarning } from '../../cli/commands/backtest-warnings.js';
import { testDataDir } from '../support/data-dir.js';

describe('a backtest whose orders all expired unfilled says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-unfilled-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the orders, the expired ones and the settings to check; nothing when one filled or none was sent', () => {
    expect(unfilledWarning({ orders: 68, fills: 0, expired: 68 }, { latencyMs: 7_200_000, maxVolumeShare: 0.1 })).toBe(
      "none of the 68 orders filled (68 expired unfilled): check costs.latencyMs (7200000 ms) against the orders' time-to-live and costs.maxVolumeShare (0.1)",
    );
    expect(unfilledWarning({ orders: 68, fills: 1, expired: 67 }, { latencyMs: 0, maxVolumeShare: 0.1 })).toBeUndefined();
    expect(unfilledWarning({ orders: 0, fills: 0, expired: 0 }, { latencyMs: 0, maxVolumeShare: 0.1 })).toBeUndefined();
  });

  it('in report.json when a latency of two hours outlives every order (the report showed zero trades and no reason)', async () => {
    const report = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 15), capital: 10_000, report: join(dir, 'late'), costs: { latencyMs: 7_200_000 } });
    expect(report.metrics.trades).toBe(0);
    expect(report.counts['orders']).toBeGreaterThan(0);
    expect(report.warnings.some((w) => /^none of the \d+ orders filled .*costs\.latencyMs \(7200000 ms\)/.test(w))).toBe(true);
  }, 120_000);

  it('1 ms of latency on bars alone still fills (each order meets the next bar 1 ms after its open: none used to fill, every TWAP child expired)', async () => {
    const report = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 15), capital: 10_000, report: join(dir, 'one-ms'), costs: { latencyMs: 1 } });
    expect(report.counts['orders']).toBeGreaterThan(0);
    expect(report.counts['fills']).toBeGreaterThan(0);
    expect(report.metrics.trades).toBeGreaterThan(0);
    expect(report.warnings.filter((w) => /orders filled/.test(w))).toEqual([]);
  }, 120_000);
});

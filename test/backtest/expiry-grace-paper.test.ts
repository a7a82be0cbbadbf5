import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * `risk.limits.unreportedExpiryGraceMs` keeps an order past its `expiresAt` counted in the limits
 * until its expiry is reported or the grace passes. The paper venue reports every expiry as its
 * `expiresAt` passes, before risk decides on that event: the grace must change no decision. Two
 * backtests whose limits bind (position and exposure caps a few children wide, so orders in flight
 * refuse others), one with no grace and one with the longest, publish the same messages.
 */
describe('the unreported-expiry grace with the paper venue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-grace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('changes no decision: the same predictions, suggestions, orders, rejects and fills with a grace of 0 and of a day', async () => {
    const run = async (graceMs: number) => {
      const file = join(dir, `grace-${graceMs}.yaml`);
      writeFileSync(
        file,
        [
          // Targets above the caps, and limit orders far enough from the price that many expire unfilled.
          'strategy:',
          '  positionSize: 3000',
          'execution:',
          '  limitOffsetBps: 20',
          'risk:',
          '  limits:',
          `    unreportedExpiryGraceMs: ${graceMs}`,
          '    maxPositionQty: { default: 1, perSymbol: { BTC/USDT: 0.05, ETH/USDT: 1 } }',
          '    maxGrossNotional: 4000',
          '',
        ].join('\n'),
      );
      let signals: readonly string[] = [];
      const report = await runBacktest({
        configFile: file,
        data: testDataDir(),
        symbols: ['BTC/USDT', 'ETH/USDT'],
        timeframe: '1h',
        from: Date.UTC(2024, 0, 1),
        to: Date.UTC(2024, 1, 1),
        report: join(dir, `report-${graceMs}`),
        capital: 10_000,
        onSignals: (m) => (signals = m),
      });
      return { signals, counts: report.counts };
    };
    const none = await run(0);
    const day = await run(86_400_000);
    const rejects = none.counts['rejectsByReason'] as Record<string, number> | undefined;
    // The limits bind: orders in flight refuse others.
    expect((rejects?.['POSITION_LIMIT'] ?? 0) + (rejects?.['GROSS_EXPOSURE'] ?? 0)).toBeGreaterThan(10);
    expect(Number(none.counts['orders'])).toBeGreaterThan(10);
    expect(Number(none.counts['expired'])).toBeGreaterThan(0);
    expect(day.counts).toEqual(none.counts);
    expect(none.counts['releasedAfterGrace']).toBe(0);
    expect(day.signals.length).toBe(none.signals.length);
    for (let i = 0; i < none.signals.length; i++) if (day.signals[i] !== none.signals[i]) expect(day.signals[i], `message ${i}`).toBe(none.signals[i]);
  }, 600_000);
});

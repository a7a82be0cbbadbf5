import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import type { BacktestReport, BacktestReportCurves } from '../../gateways/report/backtest-report.js';
import type { WalkForwardReport } from '../../gateways/report/walk-forward-report.js';
import { testDataDir } from '../support/data-dir.js';
import { emptyTrainingCache } from '../support/empty-training-cache.js';

const DAY = 86_400_000;

describe('walk-forward backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-wf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));


  it('refuses a segment with no bars (a --to past the data) before training any, and writes nothing', async () => {
    // BTC/USDT 1h bars end 2026-06-20: segment 3 (2026-06-30 → 2026-07-30) has none. It failed only
    // after segments 1 and 2 had been trained and replayed, leaving their folders and no walk-forward.json.
    const report = join(dir, 'past-the-data');
    const { configFile, trained } = emptyTrainingCache(dir, 'past-the-data');
    await expect(
      runWalkForward({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2026, 4, 1), to: Date.UTC(2026, 7, 1), stepMs: 30 * DAY, embargoMs: 0, capital: 10_000, report }),
    ).rejects.toThrow(/^walk-forward segment 3 \(2026-06-30T00:00:00\.000Z → 2026-07-30T00:00:00\.000Z\) has no 1h bars of BTC\/USDT under .*: give a --to the data reaches$/);
    // Nothing trained: every segment's model lands in the training cache once fitted.
    expect(trained()).toEqual([]);
    expect(existsSync(report)).toBe(false);
  });

  it('refuses a last segment shorter than two bars before training any, and writes nothing', async () => {
    // --to one hour past a whole day: segment 2 is one 1h bar long. Its backtest refused it ("the
    // window … is shorter than two 1h bars") only after segment 1 had been trained and replayed.
    const report = join(dir, 'short-tail');
    const { configFile, trained } = emptyTrainingCache(dir, 'short-tail');
    await expect(
      runWalkForward({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 2, 1), stepMs: DAY, embargoMs: 0, capital: 10_000, report }),
    ).rejects.toThrow('walk-forward segment 2 (2024-03-02T00:00:00.000Z → 2024-03-02T01:00:00.000Z) is shorter than two 1h bars');
    // Nothing trained: every segment's model lands in the training cache once fitted.
    expect(trained()).toEqual([]);
    expect(existsSync(report)).toBe(false);
  });

  it('retrains before each test window with an embargo, chains the capital and stitches one out-of-sample curve', async () => {
    // From 2 January: with the day's embargo its two models train to 1 and 21 January, the data
    // the ruin test's segments 1 and 3 train on, so that test reads them from the training cache
    // (models.trainingCacheDir) instead of training them again. Nothing here depends on the date.
    const from = Date.UTC(2023, 0, 2);
    const embargoMs = 24 * 3_600_000;
    const wf = await runWalkForward({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + 40 * DAY, stepMs: 20 * DAY, embargoMs, capital: 10_000, report: dir });
    expect(wf.segments).toHaveLength(2);
    const [a, b] = wf.segments;
    if (a === undefined || b === undefined) throw new Error('segments');
    // No information from a test window reaches its model: every bar its training read (fit,
    // early stopping, calibration, test scores, to its last label's horizon) ends by window −
    // embargo, not only its training segment (trainedTo, which ends weeks earlier).
    for (const [k, s] of wf.segments.entries()) {
      const own = JSON.parse(readFileSync(join(dir, `segment-${k + 1}`, 'report.json'), 'utf8')) as BacktestReport;
      expect(own.model.dataRange?.to).toBe(s.modelDataTo);
      expect(Date.parse(s.modelDataTo)).toBeLessThanOrEqual(Date.parse(s.from) - embargoMs);
      expect(Date.parse(s.modelDataTo)).toBeGreaterThan(Date.parse(s.trainedTo) + 30 * DAY);
      expect(own.model.dataBeforeWindow).toBe(true);
    }
    // Two models, the second trained on later data than the first.
    expect(Date.parse(b.modelDataTo)).toBeGreaterThan(Date.parse(a.modelDataTo));
    expect(wf.currency).toBe('USDT');
    const page = readFileSync(join(dir, 'walk-forward.html'), 'utf8');
    expect(page).toContain(`<td>${a.modelDataTo}</td>`);
    expect(page).toContain('capital 10000 USDT');
    expect(b.capitalIn).toBe(a.capitalOut);
    expect(a.capitalIn).toBe(10_000);
    expect(wf.metrics.periods).toBe(40 * 24);
    expect(wf.metrics.total_return).toBeCloseTo(b.capitalOut / 10_000 - 1, 9);
    // What a segment still holds at its end is closed there at a taker's costs, never for free:
    // its capital out is its own backtest's final equity less that closing cost.
    const heldAtEnd: number[] = [];
    for (const [k, s] of wf.segments.entries()) {
      const own = JSON.parse(readFileSync(join(dir, `segment-${k + 1}`, 'report.json'), 'utf8')) as BacktestReport;
      heldAtEnd.push(own.positions.length);
      if (own.positions.length === 0) expect(s.closingCost).toBe(0);
      else expect(s.closingCost).toBeGreaterThan(0);
      expect(s.capitalOut).toBeCloseTo(s.capitalIn * (1 + own.metrics.total_return) - s.closingCost, 6);
      // The segment's own figures include that close: its return is capital out over capital in.
      expect(s.metrics.total_return).toBeCloseTo(s.capitalOut / s.capitalIn - 1, 9);
    }
    expect(heldAtEnd.some((n) => n > 0)).toBe(true); // the case this checks happens here
    // The file holds the report, then the curves: the stitched one from the capital at the start.
    const { curves, ...json } = JSON.parse(readFileSync(join(dir, 'walk-forward.json'), 'utf8')) as WalkForwardReport & BacktestReportCurves;
    expect(json).toEqual(JSON.parse(JSON.stringify(wf)));
    expect(curves['strategy']).toEqual({ sampled: false, ts: [from, ...wf.equity.map((p) => p.ts)], equity: [10_000, ...wf.equity.map((p) => p.equity)] });

    // One out-of-sample curve: the segments' curves end to end, a point per bar, chained capital.
    expect(wf.equity).toHaveLength(40 * 24);
    for (let i = 1; i < wf.equity.length; i++) expect((wf.equity[i]?.ts ?? 0) - (wf.equity[i - 1]?.ts ?? 0)).toBe(3_600_000);
    expect(wf.equity.at(-1)?.equity).toBe(b.capitalOut);
    // (a point is stamped at its bar's close: segment a's last one at b's start)
    const boundary = wf.equity.findIndex((p) => p.ts > Date.parse(b.from));
    expect(wf.equity[boundary - 1]?.equity).toBe(a.capitalOut);
    // Baselines over the whole span with the walk-forward's capital, not per segment.
    for (const m of [wf.baselines.buy_and_hold, wf.baselines.grid]) expect(m.periods).toBe(40 * 24);
    const btcClose = async (ts: number): Promise<number> => {
      let close = Number.NaN;
      for await (const bar of readBars(join(testDataDir(), 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv'), { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', from: ts, to: ts + 1 })) close = bar.close;
      return close;
    };
    // Holding BTC from the first bar to the last: the price's move, less one entry's costs (filled at the next bar's open).
    const held = (await btcClose(from + 40 * DAY - 3_600_000)) / (await btcClose(from));
    expect(wf.baselines.buy_and_hold.total_return).toBeGreaterThan(held - 1 - 0.02);
    expect(wf.baselines.buy_and_hold.total_return).toBeLessThan(held - 1 + 0.02);

    // The HTML report: both charts, the baselines overlaid, a row per segment, nothing to fetch.
    const html = readFileSync(join(dir, 'walk-forward.html'), 'utf8');
    for (const s of ['strategy (out of sample)', 'buy and hold', 'grid']) expect(html).toContain(`data-series="${s}"`);
    expect(html).toContain('Drawdown of the strategy');
    expect(html.match(/<tr><td>\d+<\/td>/g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('stops at a ruin: the segments after it are not run (a backtest of no capital is not one), and the report says so', async () => {
    // Fees of 99.99 % a fill and no loss limits to stop it: the account is gone within a few trades.
    const configFile = join(dir, 'ruinous.yaml');
    writeFileSync(configFile, 'paperVenue:\n  takerFeeBps: 9999\n  makerFeeBps: 9999\nrisk:\n  limits:\n    maxDailyLoss: 1000000000\n    maxDrawdown: 1000000000\n');
    const report = join(dir, 'ruined');
    // Segments from 1, 11 and 21 January, no embargo: the first and last models are the test above's.
    const from = Date.UTC(2023, 0, 1);
    const wf = await runWalkForward({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + 30 * DAY, stepMs: 10 * DAY, embargoMs: 0, capital: 10_000, report });
    expect(wf.segments.length).toBeLessThan(3);
    const last = wf.segments.at(-1);
    expect(last?.capitalOut).toBeLessThanOrEqual(0);
    for (const s of wf.segments.slice(0, -1)) expect(s.capitalOut).toBeGreaterThan(0);
    expect(wf.metrics.ruined_at_ms).not.toBeNull();
    const n = wf.segments.length;
    expect(wf.warnings[0]).toMatch(/^strategy \(out of sample\): equity reached zero or below at /);
    const notRun = n === 2 ? 'segment 3 was not run' : 'segments 2–3 were not run';
    expect(wf.warnings[1]).toMatch(new RegExp(`^the capital was gone after segment ${n} of 3 \\(capital out -?[0-9.]+\\), so ${notRun}; the baselines cover the segments run$`));
    expect(existsSync(join(report, `segment-${n + 1}`))).toBe(false);
    const html = readFileSync(join(report, 'walk-forward.html'), 'utf8');
    expect(html).toContain('<ul class="warnings">');
    expect(html).toContain(notRun);
  });
});

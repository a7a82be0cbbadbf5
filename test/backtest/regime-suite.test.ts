import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { formatSuite, runRegimeSuite } from '../../cli/commands/backtest-suite.js';
import { planRegimeSuite, REGIME_SYMBOLS, REGIME_WINDOWS, windowCoverage } from '../../cli/commands/regime-windows.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { testDataDir } from '../support/data-dir.js';

describe('backtest regime suite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-suite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs each window on the symbols with data there, skips the others with a reason, and reports gaps', async () => {
    const windows = [
      // PEPE was listed in May 2023: it has no data here; DOGE has a documented download hole 2024-09-07 → 09-14.
      { name: 'early 2023', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 15) },
      { name: 'DOGE hole', from: Date.UTC(2024, 8, 1), to: Date.UTC(2024, 8, 20) },
    ];
    // DOGE and PEPE only: a symbol with data in both windows, one without in the first, both with
    // holes in the second. BTC/USDT beside them added three years of bars to each window's
    // training and nothing to what is checked.
    const rows = await runRegimeSuite({ data: testDataDir(), reportDir: dir, windows, symbols: ['DOGE/USDT', 'PEPE/USDT'] });
    expect(rows.map((r) => r.symbols)).toEqual([['DOGE/USDT'], ['DOGE/USDT', 'PEPE/USDT']]);
    expect(rows[0]?.skipped).toEqual([{ symbol: 'PEPE/USDT', why: 'no data at the start of the window' }]);
    for (const r of rows) {
      expect(r.error).toBeNull();
      expect(Number.isFinite(r.report?.metrics.total_return)).toBe(true);
      expect(Number.isFinite(r.report?.baselines.buy_and_hold.total_return)).toBe(true);
    }
    const holes = rows[1]?.report?.gaps ?? [];
    expect(holes.map((g) => g.symbol)).toEqual(expect.arrayContaining(['DOGE/USDT', 'PEPE/USDT']));
    expect(holes.every((g) => g.missingBars > 100)).toBe(true);
    const suite = JSON.parse(readFileSync(join(dir, 'suite.json'), 'utf8')) as unknown[];
    expect(suite).toHaveLength(2);
    // One page shows every window and links to each window's own report.
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(index).toContain('early 2023');
    expect(index).toContain('DOGE hole');
    expect(index).toContain('href="window-1/report.html"');
    expect(index).toContain('href="window-2/report.html"');
    expect(readFileSync(join(dir, 'window-2', 'report.html'), 'utf8')).toContain('2024-09-01');
    expect(formatSuite(rows)).toContain('DOGE hole');

    // The suite trains each window's model on a worker thread, ahead of its replay: the report is
    // the one `sextant backtest` gives for that window on its own (its model trained in process:
    // with no training cache, or it would read the suite's model back and compare it with itself).
    const noCache = join(dir, 'no-cache.yaml');
    writeFileSync(noCache, 'models:\n  trainingCacheDir: null\n');
    const alone = await runBacktest({ configFile: noCache, data: testDataDir(), symbols: ['DOGE/USDT'], timeframe: '1h', from: windows[0]!.from, to: windows[0]!.to, capital: 10_000, report: join(dir, 'alone') });
    const inSuite = rows[0]!.report!;
    expect(inSuite.model).toEqual(alone.model);
    expect(inSuite.counts).toEqual(alone.counts);
    expect(inSuite.metrics).toEqual(alone.metrics);
    expect(inSuite.baselines).toEqual(alone.baselines);
    expect(alone.counts.predictions).toBeGreaterThan(0);
  });
});

describe('which symbols a regime window trades', () => {
  const pepe = join(testDataDir(), 'ohlcv', 'binance_spot_1h', 'PEPE_USDT_1h.csv');
  it('takes a symbol with data at the window start and the bars to warm its features, however short its history', async () => {
    // PEPE was listed in May 2023: five months of bars before the 2023-10 bull window.
    expect(await windowCoverage([pepe], 'PEPE/USDT', { from: Date.UTC(2023, 9, 1), to: Date.UTC(2024, 2, 1) }, '1h')).toBeUndefined();
    expect(await windowCoverage([pepe], 'PEPE/USDT', { from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) }, '1h')).toBe('no data at the start of the window');
    // Four days after the listing: data, but not the 200 bars that warm the features.
    expect(await windowCoverage([pepe], 'PEPE/USDT', { from: Date.UTC(2023, 4, 9), to: Date.UTC(2023, 5, 1) }, '1h')).toBe('fewer than 200 bars before the window to warm its features');
  });

  it('reads every file of a symbol: the 5m data holds one per period', async () => {
    const dir = join(testDataDir(), 'ohlcv', 'binance_spot_5m');
    const files = ['BTC_USDT_5m_2024-01_2024-09.csv', 'BTC_USDT_5m_2024-12_2026-02.csv'].map((f) => join(dir, f));
    const w = { from: Date.UTC(2025, 9, 1), to: Date.UTC(2026, 2, 1) }; // the 2025-10 high → 2026-02 window
    // Only the first file (the suite read one file per symbol): BTC sat out a window the second covers.
    expect(await windowCoverage(files.slice(0, 1), 'BTC/USDT', w, '5m')).toBe('no data at the start of the window');
    expect(await windowCoverage(files, 'BTC/USDT', w, '5m')).toBeUndefined();
    expect(await windowCoverage(files.reverse(), 'BTC/USDT', w, '5m')).toBeUndefined();
  });
});

describe('the regime suite `sextant backtest --suite regimes` runs', () => {
  it('has the five windows of issue 4 on BTC, ETH, SOL, DOGE and PEPE 1h bars, each symbol where the data covers it', async () => {
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    expect(REGIME_WINDOWS.map((w) => [w.name, day(w.from), day(w.to)])).toEqual([
      ['2022 bear year (LUNA, FTX)', '2022-01-01', '2023-01-01'],
      ['2023-10 → 2024-03 bull', '2023-10-01', '2024-04-01'],
      ['2024-08 crash month', '2024-08-01', '2024-09-01'],
      ['2025-04 crash month', '2025-04-01', '2025-05-01'],
      ['2025-10 high → 2026-02', '2025-10-01', '2026-03-01'],
    ]);
    expect(REGIME_SYMBOLS).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT', 'PEPE/USDT']);
    // What the default suite plans on the data: PEPE (listed May 2023) sits out the bear year only.
    const plans = await planRegimeSuite(findBarFiles(testDataDir(), { timeframe: '1h' }), REGIME_WINDOWS, REGIME_SYMBOLS, '1h');
    expect(plans.map((p) => p.symbols)).toEqual([
      ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT'],
      [...REGIME_SYMBOLS],
      [...REGIME_SYMBOLS],
      [...REGIME_SYMBOLS],
      [...REGIME_SYMBOLS],
    ]);
    expect(plans[0]?.skipped).toEqual([{ symbol: 'PEPE/USDT', why: 'no data at the start of the window' }]);
  });
});

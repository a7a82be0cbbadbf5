import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportModel } from '../../cli/commands/backtest-model.js';
import { windowDataWarning } from '../../cli/commands/backtest-warnings.js';
import { writeBacktestReport } from '../../gateways/report/backtest-report.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { currencyOf, metricsTable } from '../../gateways/report/report-parts.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import { modelDataSpan } from '../../models/registry/model-data-span.js';
import { reportFixture } from './report-fixture.js';

const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number): string => new Date(ms).toISOString();
const WINDOW = { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 1, 1) };

/**
 * A version as `sextant train` and the backtest's own training register it: the training segment
 * (with fit and validation inside it) ends 2022-03-20, calibration and test run on to `testTo`.
 */
function trained(testTo: number, details: Record<string, unknown> = {}) {
  const seg = (from: number, to: number, rows: number) => ({ rows, from: iso(from), to: iso(to) });
  const trainTo = Date.UTC(2022, 2, 20);
  return {
    name: 'direction-mlp',
    version: 3,
    // The last training row's bar plus the 4-bar horizon and one bar: as train-baseline records it.
    trainRange: { from: Date.UTC(2020, 4, 19), to: trainTo - H + 5 * H },
    metrics: { test_accuracy: 0.41, test_log_loss: 1.05 },
    details: {
      labels: { horizonBars: 4, kAtr: 0.5 },
      dataset: { source: 'data', symbols: ['BTC/USDT'], timeframe: '1h', rows: 10, dropped: 0 },
      split: {
        purgeBars: 4,
        boundaries: [iso(trainTo + 4 * H), iso(Date.UTC(2022, 7, 1))],
        train: seg(Date.UTC(2020, 4, 19), trainTo, 100),
        fit: seg(Date.UTC(2020, 4, 19), Date.UTC(2021, 11, 1), 80),
        validation: seg(Date.UTC(2021, 11, 1) + 4 * H, trainTo, 20),
        calibration: seg(trainTo + 4 * H, Date.UTC(2022, 7, 1) - 5 * H, 30),
        test: seg(Date.UTC(2022, 7, 1), testTo, 30),
      },
      ...details,
    },
  };
}

describe("the backtest report's model: every bar it saw, and whether the window was among them", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the whole data range from the registry split: the test segment plus its labels, not the training range alone', () => {
    // The test segment's last row opens 4 bars + 1 before the window: its labels read up to the window's start.
    const m = trained(WINDOW.from - 4 * H);
    const span = modelDataSpan(m);
    expect(span?.dataRange).toEqual({ from: Date.UTC(2020, 4, 19), to: WINDOW.from });
    const r = reportModel(m, WINDOW);
    expect(r.trainRange.to).toBe('2022-03-20T04:00:00.000Z'); // kept as it was
    expect(r.dataRange).toEqual({ from: '2020-05-19T00:00:00.000Z', to: '2023-01-01T00:00:00.000Z' });
    expect(r.split).toMatchObject({ purgeBars: 4, horizonBars: 4, train: { rows: 100, to: '2022-03-20T00:00:00.000Z' }, calibration: { rows: 30 }, test: { rows: 30, from: '2022-08-01T00:00:00.000Z' } });
    expect(r.dataBeforeWindow).toBe(true);
    expect(windowDataWarning(r, WINDOW)).toBeUndefined();
  });

  it('says the window reached the model when a label of its test segment read a bar of the window, and warns', () => {
    const r = reportModel(trained(WINDOW.from - 3 * H), WINDOW); // one bar more: the last label reads the window's first bar
    expect(r.dataRange?.to).toBe('2023-01-01T01:00:00.000Z');
    expect(r.dataBeforeWindow).toBe(false);
    expect(windowDataWarning(r, WINDOW)).toBe(
      "model direction-mlp@3 saw bars up to 2023-01-01 (its last segment's labels), past the window's start 2023-01-01: data of the window or after it reached the model; serve a version whose data ends by 2023-01-01 or give a later --from",
    );
    const inside = reportModel(trained(WINDOW.from + 10 * D), WINDOW);
    expect(windowDataWarning(inside, WINDOW)).toMatch(/^model direction-mlp@3 saw bars up to 2023-01-11 \(its test segment\), past the window's start 2023-01-01/);
  });

  it('says what is not known when the registry records only the training range (a retraining challenger)', () => {
    const m = { ...trained(WINDOW.from), details: { kind: 'direction-classifier', retraining: {} } };
    expect(modelDataSpan(m)).toBeUndefined();
    const r = reportModel(m, WINDOW);
    expect(r).toMatchObject({ dataRange: null, split: null, dataBeforeWindow: null });
    expect(windowDataWarning(r, WINDOW)).toBeUndefined();
    // Its training range alone past the window's start is enough to tell.
    expect(reportModel({ ...m, trainRange: { from: WINDOW.from - D, to: WINDOW.from + H } }, WINDOW).dataBeforeWindow).toBe(false);
  });

  it('shows in report.html the whole range, its segments and the verdict, loudly when the window reached the model; report.json holds them', () => {
    const equity = [10_000, 10_100].map((e, i) => ({ ts: WINDOW.from + (i + 1) * H, equity: e }));
    const metrics = performanceMetrics({ startTs: WINDOW.from, startingCapital: 10_000, equity, grossExposure: [0, 0], trades: [], feesPaid: 0, tradedNotional: 0, periodsPerYear: 8760 });
    const write = (name: string, model: BacktestReport['model']): { html: string; json: BacktestReport } => {
      const out = writeBacktestReport(join(dir, name), reportFixture(metrics, WINDOW, { model }), [{ name: 'strategy', equity }], []);
      return { html: readFileSync(out.html, 'utf8'), json: JSON.parse(readFileSync(out.json, 'utf8')) as BacktestReport };
    };
    const clean = write('clean', reportModel(trained(WINDOW.from - 4 * H), WINDOW));
    expect(clean.html).toContain('model direction-mlp@3 saw the bars 2020-05-19 → 2023-01-01 (train 2020-05-19 → 2022-03-20 (fit 2020-05-19 → 2021-12-01, validation (early stopping) 2021-12-01 04:00 UTC → 2022-03-20); calibration 2022-03-20 04:00 UTC → 2022-07-31 19:00 UTC; test 2022-08-01 → 2022-12-31 20:00 UTC; labels 4 bars ahead, 4 purged before each boundary): all of it before the window (it starts 2023-01-01): no bar of the window reached the model');
    expect(clean.html).not.toContain('trained 2020-05-19 → 2022-03-20)'); // the old line, which read as the whole range
    expect(clean.json.model).toMatchObject({ ref: 'direction-mlp@3', dataRange: { to: '2023-01-01T00:00:00.000Z' }, dataBeforeWindow: true, split: { test: { to: '2022-12-31T20:00:00.000Z' } } });
    const leaked = write('leaked', reportModel(trained(WINDOW.from + 10 * D), WINDOW));
    expect(leaked.html).toContain("<strong class=\"leak\">NOT all before the window: its data runs to 2023-01-11 04:00 UTC, past the window's start 2023-01-01 (see the warnings)</strong>");
    expect(leaked.json.model.dataBeforeWindow).toBe(false);
    const unknown = write('unknown', reportModel({ ...trained(WINDOW.from), details: {} }, WINDOW));
    expect(unknown.html).toContain('model direction-mlp@3: trained 2020-05-19 → 2022-03-20 04:00 UTC; the registry records no later segment (validation, calibration, test): whether bars of the window reached the model is not known');
  });
});

describe("the backtest report's window and money", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-money-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const T0 = Date.UTC(2024, 0, 1);
  const trades = [
    { symbol: 'BTC/USDT', side: 'long' as const, entryTs: T0, exitTs: T0 + H, qty: 0.1, entryPrice: 40_000, exitPrice: 40_123.45, pnl: 12.345, fees: 0.8 },
    { symbol: 'BTC/USDT', side: 'long' as const, entryTs: T0 + H, exitTs: T0 + 2 * H, qty: 0.1, entryPrice: 40_123.45, exitPrice: 40_100, pnl: -2.345, fees: 0.8 },
  ];
  const equity = [10_012, 10_010].map((e, i) => ({ ts: T0 + (i + 1) * H, equity: e }));
  const metrics = performanceMetrics({ startTs: T0, startingCapital: 10_000, equity, grossExposure: [1, 1], trades, feesPaid: 1.6, tradedNotional: 16_000, periodsPerYear: 8760 });

  it("says the window's end is excluded, and prints average trade and fees paid as money in the quote currency", () => {
    const out = writeBacktestReport(dir, reportFixture(metrics, { from: T0, to: T0 + 3 * H }), [{ name: 'strategy', equity }], trades);
    const html = readFileSync(out.html, 'utf8');
    expect(html).toContain('2024-01-01T00:00:00.000Z → 2024-01-01T03:00:00.000Z (the end excluded: the last bar opens one bar before it)');
    expect(html).toContain('capital 10000 USDT');
    expect(html).toContain('<tr><td>average trade</td><td>5.00 USDT</td><td>5.00 USDT</td><td>5.00 USDT</td></tr>');
    expect(html).toContain('<tr><td>fees paid</td><td>1.60 USDT</td><td>1.60 USDT</td><td>1.60 USDT</td></tr>');
    expect((JSON.parse(readFileSync(out.json, 'utf8')) as BacktestReport).currency).toBe('USDT');
  });

  it('prints each trade\'s P&L, the unrealised P&L of what is open and the gross profit and loss as money in the quote currency', () => {
    const positions = [{ symbol: 'BTC/USDT', qty: 0.1, avgEntryPrice: 40_100, lastPrice: 40_000 }];
    const out = writeBacktestReport(join(dir, 'pnl'), reportFixture(metrics, { from: T0, to: T0 + 3 * H }, { positions }), [{ name: 'strategy', equity }], trades);
    const html = readFileSync(out.html, 'utf8');
    expect(html).toContain('<td>40123.4500</td><td>12.35 USDT</td></tr>');
    expect(html).toContain('<td>40100.0000</td><td>-2.35 USDT</td></tr>');
    expect(html).toContain('<td>40000.0</td><td>-10.00 USDT</td></tr>'); // unrealised: 0.1 × (40,000 − 40,100)
    // The sums the profit factor divides, the loss as a positive amount.
    expect(html).toContain('<tr><td>gross profit</td><td>12.35 USDT</td><td>12.35 USDT</td><td>12.35 USDT</td></tr>');
    expect(html).toContain('<tr><td>gross loss</td><td>2.35 USDT</td><td>2.35 USDT</td><td>2.35 USDT</td></tr>');
  });

  it('names the quote currency of the symbols, or none when they differ', () => {
    expect(currencyOf(['BTC/USDT', 'ETH/USDT', 'SOL/USDT:USDT'])).toBe('USDT');
    expect(currencyOf(['BTC/USDT', 'ETH/BTC'])).toBeNull();
    expect(metricsTable([['strategy', metrics]], null)).toContain('<tr><td>fees paid</td><td>1.60 (mixed quotes)</td></tr>');
  });
});

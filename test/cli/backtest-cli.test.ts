import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BacktestReport, BacktestReportCurves } from '../../gateways/report/backtest-report.js';
import type { CurveJson } from '../../gateways/report/curve-json.js';
import type { WalkForwardReport } from '../../gateways/report/walk-forward-report.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sextant(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], { cwd: ROOT, env: { ...process.env }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Total return and max drawdown as a reader of report.json computes them from a curve. */
function fromCurve(c: CurveJson | undefined): { total_return: number; max_drawdown: number } {
  const eq = c?.equity ?? [];
  let peak = -Infinity;
  let mdd = 0;
  for (const e of eq) {
    peak = Math.max(peak, e);
    mdd = Math.max(mdd, 1 - e / peak);
  }
  return { total_return: (eq.at(-1) ?? NaN) / (eq[0] ?? NaN) - 1, max_drawdown: mdd };
}

/** Each curve's total return and max drawdown match the metrics beside it (report.json and walk-forward.json held no curve). */
function expectCurvesMatch(json: Readonly<{ metrics: BacktestReport['metrics']; baselines: BacktestReport['baselines'] }> & BacktestReportCurves, from: string): void {
  for (const [key, m] of [['strategy', json.metrics], ['buy_and_hold', json.baselines.buy_and_hold], ['grid', json.baselines.grid]] as const) {
    const c = json.curves[key];
    expect(c?.sampled, key).toBe(false);
    expect(c?.ts[0], key).toBe(Date.parse(from));
    expect(c?.ts.length, key).toBe(m.periods + 1);
    const r = fromCurve(c);
    expect(r.total_return, key).toBeCloseTo(m.total_return, 10);
    expect(r.max_drawdown, key).toBeCloseTo(m.max_drawdown, 10);
  }
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;

describe('sextant backtest, as a user types it', () => {
  it('runs the issue\'s command: --data <folder> --symbols BTC/USDT --from 2022-01-01 --to 2023-01-01 --report <dir>', () => {
    const out = join(dir, 'bt-2022');
    const r = sextant(['backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2022-01-01', '--to', '2023-01-01', '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backtest \|.*\| \d+ events \| \d+ events\/s/); // the progress bar
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as BacktestReport & BacktestReportCurves;
    expect(report.window).toEqual({ from: '2022-01-01T00:00:00.000Z', to: '2023-01-01T00:00:00.000Z' });
    expectCurvesMatch(report, report.window.from);
    expect(report.symbols).toEqual(['BTC/USDT']);
    expect(new Date(report.model.trainRange.to).getTime()).toBeLessThanOrEqual(Date.UTC(2022, 0, 1)); // trained before the window
    for (const m of [report.metrics, report.baselines.buy_and_hold, report.baselines.grid]) {
      for (const k of ['total_return', 'sharpe', 'max_drawdown'] as const) expect(Number.isFinite(m[k]), k).toBe(true);
    }
    expect(report.baselines.buy_and_hold.total_return).toBeLessThan(-0.5); // BTC lost about 64 % in 2022
    expect(report.metrics.periods).toBe(365 * 24);
    // What it prints last is the report's figures.
    const printed = lastJson(r.stdout) as { metrics: unknown; baselines: unknown };
    expect(printed.metrics).toEqual(report.metrics);
    expect(printed.baselines).toEqual(report.baselines);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/); // self-contained
  }, 240_000);

  it('runs --walk-forward <days> --embargo <hours>: segments of that many days, each model trained up to that many hours before its window', () => {
    const out = join(dir, 'wf');
    // From noon: 12 hours of embargo put the first segment's model on the bars before 2022-01-01,
    // the model the test above trained, which the training cache (models.trainingCacheDir) then
    // serves instead of a second training. The checks depend on no particular start.
    const r = sextant(['backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2022-01-01T12:00:00Z', '--to', '2022-03-02T12:00:00Z', '--walk-forward', '30', '--embargo', '12', '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    const wf = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as WalkForwardReport & BacktestReportCurves;
    expectCurvesMatch(wf, '2022-01-01T12:00:00.000Z');
    expect([wf.stepMs, wf.embargoMs]).toEqual([30 * 86_400_000, 12 * 3_600_000]);
    expect(wf.segments.map((s) => [s.from, s.to])).toEqual([
      ['2022-01-01T12:00:00.000Z', '2022-01-31T12:00:00.000Z'],
      ['2022-01-31T12:00:00.000Z', '2022-03-02T12:00:00.000Z'],
    ]);
    // Every bar each model read (its test segment's labels included), not only its training segment, ends by its window − embargo.
    for (const s of wf.segments) expect(new Date(s.modelDataTo).getTime()).toBeLessThanOrEqual(new Date(s.from).getTime() - 12 * 3_600_000);
    expect(wf.currency).toBe('USDT');
    expect(r.stdout).toContain(`${wf.segments[0]?.model} (its data to ${wf.segments[0]?.modelDataTo.slice(0, 16).replace('T', ' ')})`);
    expect(existsSync(join(out, 'walk-forward.html'))).toBe(true);
    expect((lastJson(r.stdout) as { stitched: unknown }).stitched).toEqual(wf.metrics);
  }, 240_000);

  it('takes costs and the strategy name from flags: --taker-fee-bps, --spread-model, --impact-coeff, --strategy', () => {
    const out = join(dir, 'bt-flags');
    // From 2022-01-01, as the first test: its model comes from the training cache (the flags are about costs and names, not the window).
    const r = sextant(['backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2022-01-01', '--to', '2022-01-15', '--report', out, '--taker-fee-bps', '7', '--spread-model', 'corwin-schultz:12', '--impact-coeff', '0.8', '--strategy', 'beta']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as BacktestReport;
    expect(report.costs).toMatchObject({ takerFeeBps: 7, impactCoeff: 0.8, spreadModel: { kind: 'corwin-schultz', window: 12 } });
    expect(report.counts['predictions']).toBeGreaterThan(0);
    // The strategy's name is recorded where the run is read back, in both files.
    expect(report.strategy).toBe('beta');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('strategy beta');
    const bad = sextant(['backtest', '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-01-15', '--report', out, '--spread-model', 'roll']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--spread-model: expected fixed');
  }, 240_000);

  it('refuses an unknown suite and a window without --from/--to, saying what to give', () => {
    const a = sextant(['backtest', '--suite', 'crashes', '--report', join(dir, 'x')]);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toContain('unknown suite "crashes" (known: regimes)');
    const b = sextant(['backtest', '--symbols', 'BTC/USDT', '--report', join(dir, 'y')]);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toContain('give --from and --to (or --suite regimes)');
  }, 60_000);
});

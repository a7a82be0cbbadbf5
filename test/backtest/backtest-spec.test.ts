import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BacktestSpecError, contradictoryBacktestFlags, givenFlags, loadBacktestSpec, missingReportMessage, parseBacktestSpec, parseSpreadModelFlag, resolveBacktestInputs, spreadModelOf } from '../../cli/commands/backtest-spec.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = `
symbols: [BTC/USDT, ETH/USDT]
from: 2023-01-01
to: 2023-03-01T00:00:00Z
timeframe: 1h
source: pg
capital: 25000
strategy: { name: alpha, model: direction-mlp@production }
costs:
  takerFeeBps: 7.5
  makerFeeBps: 1
  spreadBps: 3
  spread: { model: corwin-schultz, window: 10 }
  impactCoeff: 0.4
  maxVolumeShare: 0.05
  latencyMs: 250
report: out/early-2023
data: bars
`;

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BacktestSpecError);
    return (e as Error).message;
  }
  throw new Error('expected a BacktestSpecError');
};

describe('backtest spec (--spec <yaml>)', () => {
  it('reads every input from the file; relative paths resolve against the file', () => {
    const path = join(dir, 'spec.yaml');
    writeFileSync(path, SPEC);
    const spec = loadBacktestSpec(path);
    expect(spec).toMatchObject({ symbols: ['BTC/USDT', 'ETH/USDT'], from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 2, 1), timeframe: '1h', source: 'pg', capital: 25_000, strategy: { name: 'alpha', model: 'direction-mlp@production' } });
    expect(spec.report).toBe(join(dir, 'out/early-2023'));
    expect(spec.data).toBe(join(dir, 'bars'));
    expect(spec.costs).toEqual({ takerFeeBps: 7.5, makerFeeBps: 1, spreadBps: 3, spread: { model: 'corwin-schultz', window: 10 }, impactCoeff: 0.4, maxVolumeShare: 0.05, latencyMs: 250 });
    expect(spreadModelOf(spec.costs)).toEqual({ kind: 'corwin-schultz', window: 10 });
    expect(spreadModelOf({ spread: { model: 'range-fraction', fraction: 0.1 } })).toEqual({ kind: 'range-fraction', fraction: 0.1 });
    expect(spreadModelOf({})).toBeUndefined();
  });

  it('refuses bad values with the key that is wrong', () => {
    expect(errorOf(() => parseBacktestSpec({ costs: { takerFeeBps: -1 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.takerFeeBps: /);
    expect(errorOf(() => parseBacktestSpec({ costs: { spread: { model: 'range-fraction' } } }, 'x.yaml'))).toMatch(/costs\.spread\.fraction/);
    expect(errorOf(() => parseBacktestSpec({ costs: { spread: { model: 'magic' } } }, 'x.yaml'))).toMatch(/costs\.spread\.model/);
    expect(errorOf(() => parseBacktestSpec({ costs: { latency: 5 } }, 'x.yaml'))).toMatch(/costs: .*latency/); // unknown key
    expect(errorOf(() => parseBacktestSpec({ timeframe: '2h' }, 'x.yaml'))).toMatch(/timeframe/);
    expect(errorOf(() => parseBacktestSpec({ from: 'soon' }, 'x.yaml'))).toMatch(/from: not a date/);
    // An unquoted YAML `from: 20240101` is the number 20240101: a date, as on the command line, not 4 ms into 1970.
    expect(parseBacktestSpec({ from: 20240101, to: '2024-01-05 12:00' }, 'x.yaml')).toMatchObject({ from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 5, 12) });
    expect(errorOf(() => parseBacktestSpec({ from: 1704067200 }, 'x.yaml'))).toMatch(/from: 1704067200 looks like epoch seconds/);
    expect(errorOf(() => parseBacktestSpec({ symbols: [] }, 'x.yaml'))).toMatch(/symbols/);
    expect(errorOf(() => parseBacktestSpec({ from: '2023-02-01', to: '2023-01-01' }, 'x.yaml'))).toMatch(/from must be before to/);
    expect(errorOf(() => parseBacktestSpec({ source: 'parquet' }, 'x.yaml'))).toMatch(/source/);
    // Two keys naming the model to serve: `model:` silently won.
    expect(errorOf(() => parseBacktestSpec({ model: 'direction-mlp@3', strategy: { model: 'direction-mlp@production' } }, 'x.yaml'))).toBe(
      'x.yaml: model: direction-mlp@3 and strategy.model: direction-mlp@production both name the model to serve: give one (model: serves a registered model)',
    );
    expect(parseBacktestSpec({ model: 'direction-mlp@3', strategy: { model: 'direction-mlp@3' } }, 'x.yaml').model).toBe('direction-mlp@3');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'symbols: [BTC/USDT\n');
    expect(errorOf(() => loadBacktestSpec(broken))).toContain(broken);
  });

  it('flags override the file, the file overrides the defaults', () => {
    const spec = parseBacktestSpec({ symbols: ['ETH/USDT'], from: '2023-01-01', to: '2023-02-01', capital: 5_000, report: '/r', costs: { latencyMs: 100, takerFeeBps: 5 } }, 's.yaml');
    const fromFile = resolveBacktestInputs(spec, {});
    expect(fromFile).toEqual({ symbols: ['ETH/USDT'], from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 1, 1), timeframe: '1h', source: 'csv', capital: 5_000, report: '/r', costs: { latencyMs: 100, takerFeeBps: 5 } });
    const overridden = resolveBacktestInputs(spec, { symbols: ['SOL/USDT'], to: Date.UTC(2023, 0, 15), capital: 1_000, source: 'pg', latencyMs: 0, report: '/other' });
    expect(overridden).toMatchObject({ symbols: ['SOL/USDT'], from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 15), capital: 1_000, source: 'pg', report: '/other', costs: { latencyMs: 0, takerFeeBps: 5 } });
    expect(errorOf(() => resolveBacktestInputs({ report: '/r' }, {}))).toMatch(/--from and --to/);
    expect(errorOf(() => resolveBacktestInputs({ from: 0, to: 1 }, {}))).toMatch(/--report/);
    expect(errorOf(() => resolveBacktestInputs(spec, { from: Date.UTC(2023, 5, 1) }))).toMatch(/window is empty/);
  });

  it('cost flags and --strategy override the file key by key, validated as the file is', () => {
    const spec = parseBacktestSpec({ from: '2023-01-01', to: '2023-02-01', report: '/r', strategy: { name: 'alpha', model: 'direction-mlp@3' }, costs: { takerFeeBps: 5, makerFeeBps: 1, spread: { model: 'fixed' } } }, 's.yaml');
    const r = resolveBacktestInputs(spec, { takerFeeBps: 7, spreadBps: 6, spreadModel: parseSpreadModelFlag('corwin-schultz:12'), impactCoeff: 0.8, maxVolumeShare: 0.05, strategy: 'beta' });
    expect(r.costs).toEqual({ takerFeeBps: 7, makerFeeBps: 1, spreadBps: 6, spread: { model: 'corwin-schultz', window: 12 }, impactCoeff: 0.8, maxVolumeShare: 0.05 });
    expect(r.strategy).toEqual({ name: 'beta', model: 'direction-mlp@3' });
    expect(errorOf(() => resolveBacktestInputs(spec, { maxVolumeShare: 2 }))).toMatch(/cost flags: maxVolumeShare/);
    expect(errorOf(() => resolveBacktestInputs(spec, { strategy: 'no spaces' }))).toMatch(/--strategy/);
    expect(parseSpreadModelFlag('fixed')).toEqual({ model: 'fixed' });
    expect(parseSpreadModelFlag('range-fraction:0.1:30')).toEqual({ model: 'range-fraction', fraction: 0.1, window: 30 });
    for (const bad of ['range-fraction', 'range-fraction:2', 'corwin-schultz:0', 'roll', 'fixed:3']) expect(errorOf(() => parseSpreadModelFlag(bad)), bad).toMatch(/--spread-model: expected/);
    const typed = { takerFeeBps: 7, spreadModel: { model: 'fixed' }, strategy: 'beta', impactCoeff: 0.5, capital: 10_000 };
    expect(givenFlags(typed, (k) => k !== 'capital')).toEqual({ takerFeeBps: 7, spreadModel: { model: 'fixed' }, strategy: 'beta', impactCoeff: 0.5 });
  });

  it('reads tick files as SYMBOL=file or file (one symbol), relative to the spec; --ticks replaces the list', () => {
    const spec = parseBacktestSpec({ symbols: ['BTC/USDT'], from: '2021-01-07', to: '2021-01-09', report: '/r', ticks: ['t/trades.csv', 'BTC/USDT=/abs/quotes.csv'] }, 's.yaml', '/specs');
    expect(spec.ticks).toEqual(['/specs/t/trades.csv', 'BTC/USDT=/abs/quotes.csv']);
    expect(resolveBacktestInputs(spec, {}).ticks).toEqual([
      { symbol: 'BTC/USDT', path: '/specs/t/trades.csv' },
      { symbol: 'BTC/USDT', path: '/abs/quotes.csv' },
    ]);
    expect(resolveBacktestInputs(spec, { ticks: ['BTC/USDT=x=y.csv'] }).ticks).toEqual([{ symbol: 'BTC/USDT', path: 'x=y.csv' }]);
    expect(resolveBacktestInputs(spec, { symbols: ['ETH/USDT', 'BTC/USDT'], ticks: ['ETH/USDT=e.csv'] }).ticks).toEqual([{ symbol: 'ETH/USDT', path: 'e.csv' }]);
    expect(errorOf(() => resolveBacktestInputs(spec, { symbols: ['ETH/USDT', 'BTC/USDT'] }))).toMatch(/ticks t\/trades\.csv|ticks \/specs\/t\/trades\.csv: with several symbols say whose ticks they are/);
    expect(errorOf(() => resolveBacktestInputs(spec, { ticks: ['BTC/USDT='] }))).toMatch(/no file given/);
    expect(errorOf(() => parseBacktestSpec({ ticks: [] }, 'x.yaml'))).toMatch(/ticks/);
    expect(givenFlags({ ticks: ['a.csv'] }, () => true)).toEqual({ ticks: ['a.csv'] });
  });

  it('takes only the flags the user typed (commander defaults do not override the file)', () => {
    const opts = { symbols: ['BTC/USDT'], timeframe: '1h', capital: 10_000, from: 5, report: '/x', embargo: 24 };
    expect(givenFlags(opts, (k) => k === 'from' || k === 'report')).toEqual({ from: 5, report: '/x' });
  });

  it('refuses flags that contradict each other instead of dropping one silently', () => {
    const typed = (...names: string[]) => (k: string) => names.includes(k);
    expect(contradictoryBacktestFlags(typed('suite', 'report'), {})).toBeUndefined();
    expect(contradictoryBacktestFlags(typed('walkForward', 'embargo', 'from', 'to'), {})).toBeUndefined();
    expect(contradictoryBacktestFlags(typed('suite', 'walkForward'), {})).toBe('--suite and --walk-forward are two kinds of run: give one');
    expect(contradictoryBacktestFlags(typed('suite', 'from', 'symbols'), {})).toBe('--suite regimes picks its own windows and symbols: drop --symbols, --from');
    expect(contradictoryBacktestFlags(typed('embargo', 'from', 'to'), {})).toBe('--embargo applies to --walk-forward only');
    expect(contradictoryBacktestFlags(typed('data', 'source'), { source: 'pg' })).toBe('--data is for CSV bars: --source pg reads them from PostgreSQL');
    expect(contradictoryBacktestFlags(typed('data', 'source'), { source: 'csv' })).toBeUndefined();
    // The same in a spec: `source: pg` with `data:` (the CSV folder was ignored).
    expect(errorOf(() => resolveBacktestInputs({ from: 0, to: 1, report: '/r', source: 'pg', data: '/bars' }, {}))).toBe('data /bars: CSV bars, but the source is pg (bars from PostgreSQL): drop one');
    expect(resolveBacktestInputs({ from: 0, to: 1, report: '/r', source: 'pg', data: '/bars' }, { source: 'csv' }).data).toBe('/bars');
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', '--suite', 'regimes', '--from', '2024-01-01', '--report', join(dir, 'suite')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('sextant: --suite regimes picks its own windows and symbols: drop --from');
  });

  it('the CLI refuses a spec with a bad key, naming it, before any work', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'symbols: [BTC/USDT]\nfrom: 2023-01-01\nto: 2023-02-01\nreport: r\ncosts: { maxVolumeShare: 2 }\n');
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', '--spec', path], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/sextant: .*bad\.yaml: costs\.maxVolumeShare: /);
  });

  // The report folder missing was said two ways: "give --report (or --spec with `report:`)" on the
  // command line alone, "give --report (or `report:` in the --spec file)" with a spec.
  it('says the same when no report folder is given, from the command line alone or with a spec', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', ...args], { cwd: ROOT, encoding: 'utf8' });
    const path = join(dir, 'no-report.yaml');
    writeFileSync(path, 'symbols: [BTC/USDT]\nfrom: 2021-01-07\nto: 2021-01-09\n');
    const said = 'sextant: give --report <dir> (or `report:` in a --spec file)';
    for (const r of [cli('--from', '2021-01-07', '--to', '2021-01-09'), cli('--spec', path)]) {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(said);
    }
    expect(errorOf(() => resolveBacktestInputs({ from: 0, to: 1 }, {}))).toBe(missingReportMessage());
    // --suite and --walk-forward take no --spec: not offered its key.
    const suite = cli('--suite', 'regimes');
    expect(suite.status).toBe(1);
    expect(suite.stderr).toContain('sextant: give --report <dir> (--suite takes no --spec)');
  });

  it('the CLI takes --ticks as a single-backtest flag, repeated, and names a tick file it cannot place', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', '--from', '2021-01-07', '--to', '2021-01-09', '--report', join(dir, 'r'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const several = cli('--symbols', 'BTC/USDT,ETH/USDT', '--ticks', 'BTC/USDT=a.csv', '--ticks', 'b.csv');
    expect(several.status).toBe(1);
    expect(several.stderr).toMatch(/sextant: ticks b\.csv: with several symbols say whose ticks they are/);
    const walk = cli('--walk-forward', '30', '--ticks', 'a.csv');
    expect(walk.status).toBe(1);
    expect(walk.stderr).toMatch(/--ticks and the cost flags apply to a single backtest/);
  });
});

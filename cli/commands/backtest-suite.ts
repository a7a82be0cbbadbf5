import { mkdirSync, writeFileSync } from 'node:fs';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import { join } from 'node:path';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { loadConfig } from '../../config/load.js';
import { riskCell } from '../../models/risk/risk-over-window.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { backtestConfig, runBacktest } from './backtest.js';
import { modelsAhead } from './models-ahead.js';

export type RegimeWindow = Readonly<{ name: string; from: number; to: number }>;

/** The regime windows of issue 4: bear, bull, two crash months, and the 2025-10 high into 2026. */
export const REGIME_WINDOWS: readonly RegimeWindow[] = [
  { name: '2022 bear year (LUNA, FTX)', from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) },
  { name: '2023-10 → 2024-03 bull', from: Date.UTC(2023, 9, 1), to: Date.UTC(2024, 3, 1) },
  { name: '2024-08 crash month', from: Date.UTC(2024, 7, 1), to: Date.UTC(2024, 8, 1) },
  { name: '2025-04 crash month', from: Date.UTC(2025, 3, 1), to: Date.UTC(2025, 4, 1) },
  { name: '2025-10 high → 2026-02', from: Date.UTC(2025, 9, 1), to: Date.UTC(2026, 2, 1) },
];
export const REGIME_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT', 'PEPE/USDT'] as const;

export type SuiteRow = Readonly<{
  window: string;
  from: string;
  to: string;
  symbols: readonly string[];
  /** Symbols left out, and why (no data at the window's start, or too few bars before it to warm the features). */
  skipped: readonly Readonly<{ symbol: string; why: string }>[];
  report: BacktestReport | null;
  error: string | null;
}>;

/**
 * Why a symbol sits out a window, or undefined when it trades there: its files (a symbol may have
 * one per period, as the 5m data does) must hold bars in the window's first week and the
 * {@link FEATURE_WARMUP_BARS} bars before the window that warm its features (the backtest replays
 * them first). A short history is no reason: the window's model is trained on every symbol of the
 * window together, and its features are scale free.
 */
export async function windowCoverage(paths: readonly string[], symbol: string, w: Readonly<{ from: number; to: number }>, tf: string): Promise<string | undefined> {
  /** Distinct bar times before the window (files of one symbol may overlap), counted up to what is needed. */
  const before = new Set<number>();
  let inWindow = false;
  for (const path of paths) {
    for await (const b of readBars(path, { venue: 'binance', symbol, tf, to: w.to })) {
      if (b.ts >= w.from) {
        inWindow ||= b.ts < w.from + 7 * 86_400_000;
        break;
      }
      if (before.size < FEATURE_WARMUP_BARS) before.add(b.ts);
    }
  }
  if (!inWindow) return 'no data at the start of the window';
  if (before.size < FEATURE_WARMUP_BARS) return `fewer than ${FEATURE_WARMUP_BARS} bars before the window to warm its features`;
  return undefined;
}

export type SuitePlan = Readonly<{ i: number; w: RegimeWindow; symbols: string[]; skipped: { symbol: string; why: string }[] }>;

/** Which symbols each window trades (those with data at its start and enough bars before it), and why the others sit out. */
export async function planRegimeSuite(files: readonly Readonly<{ symbol: string; path: string }>[], windows: readonly RegimeWindow[], symbols: readonly string[], tf: string): Promise<SuitePlan[]> {
  const plans: SuitePlan[] = [];
  for (const [i, w] of windows.entries()) {
    const skipped: { symbol: string; why: string }[] = [];
    const trades: string[] = [];
    for (const symbol of symbols) {
      const paths = files.filter((x) => x.symbol === symbol).map((x) => x.path);
      const why = paths.length === 0 ? `no ${tf} file` : await windowCoverage(paths, symbol, w, tf);
      if (why === undefined) trades.push(symbol);
      else skipped.push({ symbol, why });
    }
    plans.push({ i, w, symbols: trades, skipped });
  }
  return plans;
}

/**
 * `sextant backtest --suite regimes`: one backtest per regime window over the symbols that have
 * data there (each window trains its model on the years before it), a report folder per window,
 * and `suite.json` with the strategy and baseline metrics side by side.
 *
 * Training is most of a suite's time, and each window's model depends only on the data before
 * that window, so the models are trained on worker threads ahead of the replays (`modelsAhead`:
 * up to `parallel` windows trained or waiting to be replayed at once), while the main thread
 * replays the window whose model is ready. Each model is the one `sextant backtest` would train for
 * that window on its own (same data, seed and registry state: a fresh registry per window), so
 * the reports are the same either way.
 */
export async function runRegimeSuite(
  opts: Readonly<{ configFile?: string; data?: string; reportDir: string; timeframe?: string; capital?: number; windows?: readonly RegimeWindow[]; symbols?: readonly string[]; progress?: boolean; parallel?: number }>,
): Promise<SuiteRow[]> {
  const tf = opts.timeframe ?? '1h';
  const cfg = loadConfig({ file: opts.configFile });
  const data = requireDataDir(opts.data ?? cfg.data.dir);
  const files = findBarFiles(data, { timeframe: tf });
  mkdirSync(opts.reportDir, { recursive: true });

  const plans = await planRegimeSuite(files, opts.windows ?? REGIME_WINDOWS, opts.symbols ?? REGIME_SYMBOLS, tf);

  const runnable = plans.filter((p) => p.symbols.length > 0);
  const models = modelsAhead(
    runnable.map((p) => ({ cfg: backtestConfig(cfg, p.symbols), data: { dataDir: data, symbols: p.symbols, timeframe: tf, from: p.w.from } })),
    opts.parallel,
  );

  const rows: SuiteRow[] = [];
  try {
    for (const { i, w, symbols, skipped } of plans) {
      const base = { window: w.name, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), symbols, skipped };
      if (symbols.length === 0) {
        rows.push({ ...base, report: null, error: 'no symbol has data for this window' });
        continue;
      }
      if (opts.progress === true) process.stderr.write(`[${i + 1}] ${w.name}: ${symbols.join(', ')}\n`);
      const trained = await models.take();
      if (!trained.ok) {
        rows.push({ ...base, report: null, error: trained.error });
        continue;
      }
      try {
        const report = await runBacktest({
          ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
          data,
          symbols,
          timeframe: tf,
          from: w.from,
          to: w.to,
          capital: opts.capital ?? 10_000,
          report: join(opts.reportDir, `window-${i + 1}`),
          registry: trained.served.registry,
        });
        rows.push({ ...base, report, error: null });
      } catch (e) {
        rows.push({ ...base, report: null, error: (e as Error).message });
      } finally {
        await trained.served.close();
      }
    }
  } finally {
    await models.discard();
  }
  writeFileSync(join(opts.reportDir, 'suite.json'), `${JSON.stringify(rows, null, 2)}\n`);
  return rows;
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);

/** The suite as a table: per window, the strategy's and the baselines' total return and max drawdown. */
export function formatSuite(rows: readonly SuiteRow[]): string {
  const w = Math.max(40, ...rows.map((r) => r.symbols.join(',').length));
  const head = `${'window'.padEnd(30)} ${'symbols'.padEnd(w)} ${'strategy'.padStart(16)} ${'buy & hold'.padStart(16)} ${'grid'.padStart(16)}  ${'risk at end'.padEnd(17)} gaps`;
  const lines = rows.map((r) => {
    const m = r.report;
    const cell = (x: { total_return: number; max_drawdown: number } | undefined): string => (x === undefined ? '—' : `${pct(x.total_return)} / ${pct(x.max_drawdown)}`).padStart(16);
    return `${r.window.padEnd(30)} ${r.symbols.join(',').padEnd(w)} ${cell(m?.metrics)} ${cell(m?.baselines.buy_and_hold)} ${cell(m?.baselines.grid)}  ${(m === null ? '—' : riskCell(m.risk)).padEnd(17)} ${m?.gaps.length ?? '—'}${r.error !== null ? `  error: ${r.error}` : ''}`;
  });
  return [`total return / max drawdown`, head, ...lines].join('\n');
}

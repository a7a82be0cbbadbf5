import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { riskCell } from '../../models/risk/risk-over-window.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { checkReportDir, makeReportDir, writeReportFiles } from '../../gateways/report/report-files.js';
import { REPORT_CSS } from '../../gateways/report/report-parts.js';
import { escapeHtml } from '../../gateways/report/svg-chart.js';
import { numberedWarningLines } from '../../gateways/report/warning-groups.js';
import { backtestConfig, runBacktest } from './backtest.js';
import { orderLifeOf, warnOrderLife } from './backtest-warnings.js';
import { unreadDataWarnings } from './unread-data-warnings.js';
import { DEFAULT_HORIZON_BARS } from '../../models/training/label-horizon.js';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import { modelsAhead } from './models-ahead.js';
import { planRegimeSuite, REGIME_SYMBOLS, REGIME_WINDOWS } from './regime-windows.js';
import { suiteData } from './suite-data.js';
import type { RegimeWindow } from './regime-windows.js';

export type SuiteRow = Readonly<{
  window: string;
  from: string;
  to: string;
  symbols: readonly string[];
  /** Symbols left out, and why (no data at the window's start, or too few bars before it to warm the features). */
  skipped: readonly Readonly<{ symbol: string; why: string }>[];
  report: BacktestReport | null;
  error: string | null;
  /**
   * What the window's backtest warned of: its report's `warnings`, then its data starting or
   * ending inside the window (a single backtest says those on stderr only); none when it did not run.
   */
  warnings: readonly string[];
}>;

/**
 * `sextant backtest --suite regimes`: one backtest per regime window over the symbols that have
 * data there (each window trains its model on the years before it), a report folder per window,
 * `suite.json` with the strategy and baseline metrics side by side, and `index.html`: every window
 * on one page, linking to its `window-<n>/report.html`.
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
  const { data, files, trainingDir } = suiteData(opts.data, cfg, tf);
  checkReportDir(opts.reportDir);
  // A latency no order outlives: said once, before any window's model is trained (each window's
  // backtest, run with no progress stream, says nothing of it), as a single backtest says it.
  const barMs = TIMEFRAME_MS[TimeframeSchema.parse(tf)];
  if (opts.progress === true) warnOrderLife(orderLifeOf(cfg, barMs, DEFAULT_HORIZON_BARS * barMs), (l) => void process.stderr.write(`${l}\n`));
  // The candidate symbols' files under --data that are not read (mark candles, a 3m file): once, as a single backtest says them.
  if (opts.progress === true) for (const w of unreadDataWarnings(data, opts.symbols ?? REGIME_SYMBOLS)) process.stderr.write(`${w}\n`);
  makeReportDir(opts.reportDir);

  const plans = await planRegimeSuite(files, opts.windows ?? REGIME_WINDOWS, opts.symbols ?? REGIME_SYMBOLS, tf);

  const runnable = plans.filter((p) => p.symbols.length > 0);
  const models = modelsAhead(
    runnable.map((p) => ({ cfg: backtestConfig(cfg, p.symbols), data: { dataDir: trainingDir, symbols: p.symbols, timeframe: tf, from: p.w.from } })),
    opts.parallel,
  );

  const rows: SuiteRow[] = [];
  try {
    for (const { i, w, symbols, skipped } of plans) {
      const base = { window: w.name, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), symbols, skipped, warnings: [] as readonly string[] };
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
        let warnings: readonly string[] = [];
        const report = await runBacktest({
          ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
          data,
          symbols,
          timeframe: tf,
          from: w.from,
          to: w.to,
          capital: opts.capital ?? 10_000,
          report: join(opts.reportDir, windowReportDir(i)),
          registry: trained.served.registry,
          // Run with no progress stream, it says nothing itself: the suite says them, grouped over the windows.
          onWarnings: (w) => void (warnings = w),
        });
        rows.push({ ...base, report, error: null, warnings });
      } catch (e) {
        rows.push({ ...base, report: null, error: (e as Error).message });
      } finally {
        await trained.served.close();
      }
    }
  } finally {
    await models.discard();
  }
  writeReportFiles(opts.reportDir, [
    { name: 'suite.json', content: `${JSON.stringify(rows, null, 2)}\n` },
    { name: 'index.html', content: suiteIndexHtml(rows) },
  ]);
  if (opts.progress === true) for (const w of suiteWarnings(rows)) process.stderr.write(`warning: ${w}\n`);
  return rows;
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);

/** A window's edge for the terminal: the day where it is midnight UTC (all the regime windows), else day and minute. */
const edge = (iso: string): string => (iso.slice(10, 16) === 'T00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);

/**
 * The suite as a table: per window, its dates (from → to, `to` excluded), the strategy's and the
 * baselines' total return and max drawdown; then, given the suite's folder, where the reports are
 * (its index.html and suite.json: the table alone named neither).
 */
export function formatSuite(rows: readonly SuiteRow[], reportDir?: string): string {
  const w = Math.max(40, ...rows.map((r) => r.symbols.join(',').length));
  const dates = rows.map((r) => `${edge(r.from)} → ${edge(r.to)}`);
  const d = Math.max('from → to'.length, ...dates.map((x) => x.length));
  const head = `${'window'.padEnd(30)} ${'from → to'.padEnd(d)} ${'symbols'.padEnd(w)} ${'strategy'.padStart(16)} ${'buy & hold'.padStart(16)} ${'grid'.padStart(16)}  ${'risk at end'.padEnd(17)} gaps`;
  const lines = rows.map((r, i) => {
    const m = r.report;
    const cell = (x: { total_return: number; max_drawdown: number } | undefined): string => (x === undefined ? '—' : `${pct(x.total_return)} / ${pct(x.max_drawdown)}`).padStart(16);
    const row = `${r.window.padEnd(30)} ${(dates[i] as string).padEnd(d)} ${r.symbols.join(',').padEnd(w)} ${cell(m?.metrics)} ${cell(m?.baselines.buy_and_hold)} ${cell(m?.baselines.grid)}  ${(m === null ? '—' : riskCell(m.risk)).padEnd(17)} ${m?.gaps.length ?? '—'}${r.error !== null ? `  error: ${r.error}` : ''}`;
    // A symbol that sat the window out is said under it: the symbols column alone read as the suite's choice.
    return [row, ...r.skipped.map((k) => `${''.padEnd(31 + d + 1)}left out: ${k.symbol} (${k.why})`)].join('\n');
  });
  const where = reportDir === undefined ? [] : [`reports: ${join(reportDir, 'index.html')} (every window, linking its window-<n>/report.html) and ${join(reportDir, 'suite.json')}`];
  return [`total return / max drawdown; each window from → to, to excluded (UTC)`, head, ...lines, ...where].join('\n');
}

/**
 * The windows' warnings, each distinct one once, naming every window that gave it by its number
 * (its `window-<n>` folder) and name: `windows 2 (2023-10 → 2024-03 bull), 3 (2024-08 crash month): …`.
 * Said on stderr after the run and at the top of index.html; each window's are its row's `warnings`.
 */
export function suiteWarnings(rows: readonly SuiteRow[]): string[] {
  return numberedWarningLines('window', rows.map((r, i) => ({ n: i + 1, name: r.window, warnings: r.warnings })));
}

/** Where window `i` (0-based, the suite's order) writes its report, relative to the suite's folder. */
export const windowReportDir = (i: number): string => `window-${i + 1}`;

/**
 * The suite's `index.html`: one row per window, in the suite's order (its name, the window as
 * from → to with `to` excluded, the symbols traded and those left out with why, the strategy's and
 * the baselines' total return, max drawdown and Sharpe, the risk state at the end, the gaps) and a
 * link to the window's own report, or the error that stopped it; above the table the windows'
 * warnings ({@link suiteWarnings}). Self-contained, as the reports.
 */
export function suiteIndexHtml(rows: readonly SuiteRow[]): string {
  const num = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x.toFixed(2));
  const cell = (m: { total_return: number; max_drawdown: number; sharpe: number | null } | undefined): string => (m === undefined ? '<td>—</td><td>—</td><td>—</td>' : `<td>${pct(m.total_return)}</td><td>${pct(m.max_drawdown)}</td><td>${num(m.sharpe)}</td>`);
  const body = rows
    .map((r, i) => {
      const m = r.report;
      const left = r.skipped.map((k) => `<br>left out: ${escapeHtml(k.symbol)} (${escapeHtml(k.why)})`).join('');
      const link = m === null ? `error: ${escapeHtml(r.error ?? 'no report')}` : `<a href="${windowReportDir(i)}/report.html">${windowReportDir(i)}/report.html</a>`;
      return `<tr><td>${escapeHtml(r.window)}</td><td>${escapeHtml(r.from.slice(0, 16))} → ${escapeHtml(r.to.slice(0, 16))}</td><td>${escapeHtml(r.symbols.join(', '))}${left}</td>${cell(m?.metrics)}${cell(m?.baselines.buy_and_hold)}${cell(m?.baselines.grid)}<td>${m === null ? '—' : escapeHtml(riskCell(m.risk))}</td><td>${m === null ? '—' : m.gaps.length}</td><td>${link}</td></tr>`;
    })
    .join('\n');
  const group = (name: string): string => `<th colspan="3">${name}</th>`;
  const warnings = suiteWarnings(rows);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sextant regime suite</title>
<style>${REPORT_CSS}</style></head>
<body>
<h1>Regime suite: ${rows.length} window${rows.length === 1 ? '' : 's'}</h1>
<p>Each window runs from its start to its end, the end excluded (the last bar opens one bar before it). Return and drawdown in %, Sharpe annualised; the baselines trade the same bars with the same capital and costs.</p>
${warnings.length === 0 ? '' : `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`}
<table class="suite"><thead><tr><th rowspan="2">window</th><th rowspan="2">from → to (UTC)</th><th rowspan="2">symbols</th>${group('strategy')}${group('buy and hold')}${group('grid')}<th rowspan="2">risk at end</th><th rowspan="2">gaps</th><th rowspan="2">report</th></tr>
<tr>${'<th>return</th><th>max dd</th><th>Sharpe</th>'.repeat(3)}</tr></thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}

import type { PerformanceMetrics } from '../backtest/performance-metrics.js';
import type { RetrainingCounters } from '../retraining/retraining-snapshot.js';
import { riskCell } from '../risk/risk-over-window.js';
import type { RiskOverWindow } from '../risk/risk-over-window.js';
import type { PredictionScores } from './prediction-scores.js';
import type { TrainingRecord } from './retrain-schedule.js';

/**
 * frozen: one model trained before the window; online: retrained through the training pipeline on
 * a fixed schedule; loop: the engine's own labeling and retraining actors (triggers, challenger,
 * shadow, promotion, rollback) change the model.
 */
export const ARMS = ['frozen', 'online', 'loop'] as const;
export type Arm = (typeof ARMS)[number];

/** One arm of one window: its predictions' scores, the backtest metrics and what it trained on. */
export type ArmResult = Readonly<{
  arm: Arm;
  scores: PredictionScores;
  metrics: PerformanceMetrics;
  /** Every model the arm served: the one trained before the window, then each retrained one. */
  trainings: readonly TrainingRecord[];
  seconds: number;
  /**
   * The risk actor's trading state (a loss limit that stopped an arm early compares halts, not
   * models); absent in reports written before it was recorded.
   */
  risk?: RiskOverWindow;
  /** The retraining actor's counters at the end (loop arm). */
  retraining?: RetrainingCounters;
  /**
   * What the retraining actor did to the registry, in order (loop arm): each challenger it
   * promoted or rejected and each rollback, at the event time it happened, with the registry's reason.
   */
  modelChanges?: readonly ModelChange[];
  /**
   * What a single backtest of the window would warn of for this arm (none of its orders filled, a
   * symbol risk never let trade, a ruin, data ending inside the window, …); absent in reports
   * written before it was recorded.
   */
  warnings?: readonly string[];
}>;

/** One registry change the loop arm's retraining actor made (`at`: ISO event time). */
export type ModelChange = Readonly<{ at: string; event: 'promoted' | 'rolled_back' | 'rejected'; version: number; previousVersion: number | null; reason: string }>;

export type WindowResult = Readonly<{
  window: string;
  from: string;
  to: string;
  symbols: readonly string[];
  skipped: readonly Readonly<{ symbol: string; why: string }>[];
  arms: Readonly<Partial<Record<Arm, ArmResult>>>;
  error: string | null;
}>;

type Row = readonly string[];

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
const num = (x: number | null | undefined, digits: number): string => (x === null || x === undefined ? '—' : x.toFixed(digits));

const HEAD: Row = ['window', 'symbols', 'arm', 'models', 'scored', 'accuracy', 'log loss', 'return', 'Sharpe', 'max DD', 'trades', 'risk at end'];

function rowsOf(results: readonly WindowResult[]): Row[] {
  const rows: Row[] = [];
  for (const w of results) {
    if (w.error !== null) {
      rows.push([w.window, w.symbols.join(','), '—', '—', '—', '—', '—', '—', '—', '—', '—', `error: ${w.error}`]);
      continue;
    }
    for (const arm of ARMS) {
      const a = w.arms[arm];
      if (a === undefined) continue;
      rows.push([
        w.window,
        w.symbols.map((s) => s.replace('/USDT', '')).join(','),
        arm,
        String(a.trainings.length),
        String(a.scores.scored),
        pct(a.scores.accuracy),
        num(a.scores.logLoss, 4),
        pct(a.metrics.total_return),
        num(a.metrics.sharpe, 2),
        pct(a.metrics.max_drawdown),
        String(a.metrics.trades),
        a.risk === undefined ? '—' : riskCell(a.risk),
      ]);
    }
  }
  return rows;
}

/** Log loss and accuracy over every scored prediction of an arm, all windows pooled. */
export function pooledScores(results: readonly WindowResult[], arm: Arm): Readonly<{ scored: number; accuracy: number | null; logLoss: number | null }> {
  let n = 0;
  let acc = 0;
  let ll = 0;
  for (const w of results) {
    const s = w.arms[arm]?.scores;
    if (s === undefined || s.scored === 0 || s.accuracy === null || s.logLoss === null) continue;
    n += s.scored;
    acc += s.accuracy * s.scored;
    ll += s.logLoss * s.scored;
  }
  return n === 0 ? { scored: 0, accuracy: null, logLoss: null } : { scored: n, accuracy: acc / n, logLoss: ll / n };
}

/** Windows won per arm (only the arms compared have a count), and ties. */
export type WinTally = Readonly<Partial<Record<Arm, number>> & { tie: number }>;

/**
 * How many windows each arm of `arms` (default all) wins on log loss (lower), accuracy, total
 * return and Sharpe (higher), among the arms the window ran; `tie` when the best value is shared.
 * An arm not asked for has no count (a 0 would read as compared and never won).
 */
export function wins(results: readonly WindowResult[], arms: readonly Arm[] = ARMS): Readonly<Record<'logLoss' | 'accuracy' | 'return' | 'sharpe', WinTally>> {
  const tally = (pick: (a: ArmResult) => number | null, lowerIsBetter: boolean): WinTally => {
    const t: Partial<Record<Arm, number>> & { tie: number } = { ...Object.fromEntries(ARMS.filter((a) => arms.includes(a)).map((a) => [a, 0])), tie: 0 };
    for (const w of results) {
      const values: [Arm, number][] = [];
      for (const arm of ARMS) {
        if (!arms.includes(arm)) continue;
        const a = w.arms[arm];
        const v = a === undefined ? null : pick(a);
        if (v !== null) values.push([arm, v]);
      }
      if (values.length < 2) continue;
      const best = values.reduce((m, [, v]) => (lowerIsBetter ? Math.min(m, v) : Math.max(m, v)), lowerIsBetter ? Infinity : -Infinity);
      const top = values.filter(([, v]) => v === best);
      if (top.length > 1) t.tie++;
      else {
        const arm = (top[0] as [Arm, number])[0];
        t[arm] = (t[arm] ?? 0) + 1;
      }
    }
    return t;
  };
  return {
    logLoss: tally((a) => a.scores.logLoss, true),
    accuracy: tally((a) => a.scores.accuracy, false),
    return: tally((a) => a.metrics.total_return, false),
    sharpe: tally((a) => a.metrics.sharpe, false),
  };
}

function summaryLines(results: readonly WindowResult[]): string[] {
  const ran = ARMS.filter((arm) => results.some((r) => r.arms[arm] !== undefined));
  const w = wins(results, ran);
  const pooled = ran.map((arm) => {
    const p = pooledScores(results, arm);
    return `${arm}: ${p.scored} scored predictions, accuracy ${pct(p.accuracy)}, log loss ${num(p.logLoss, 4)}`;
  });
  // Without an arm that ran, the lines read "log loss: , tie 0".
  if (ran.length === 0) return ['no arm ran in any window: nothing to pool or compare'];
  const line = (k: keyof typeof w, what: string): string => `${what}: ${ran.map((arm) => `${arm} ${w[k][arm] ?? 0}`).join(', ')}, tie ${w[k].tie}`;
  const loop = results.flatMap((r) => (r.arms.loop?.retraining !== undefined ? [r.arms.loop.retraining] : []));
  const sum = (k: 'trainings' | 'promotions' | 'rejections' | 'rollbacks'): number => loop.reduce((s, c) => s + c[k], 0);
  const actor = loop.length === 0 ? [] : ['retraining actor (loop arm, all windows):', `  ${sum('trainings')} challengers fitted, ${sum('promotions')} promoted, ${sum('rejections')} rejected, ${sum('rollbacks')} rolled back`];
  return ['pooled over all windows:', ...pooled.map((s) => `  ${s}`), 'windows won:', `  ${line('logLoss', 'log loss')}`, `  ${line('accuracy', 'accuracy')}`, `  ${line('return', 'total return')}`, `  ${line('sharpe', 'Sharpe')}`, ...actor];
}

/** The comparison as a fixed-width text table (what the CLI prints), with the pooled scores and window wins. */
export function formatComparison(results: readonly WindowResult[]): string {
  const rows = [HEAD, ...rowsOf(results)];
  const widths = HEAD.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  const text = rows.map((r) => r.map((c, j) => (j < 3 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ').trimEnd());
  return [...text, '', ...summaryLines(results)].join('\n');
}

/**
 * The same comparison as a markdown table followed by the summary as a list, and, per window of
 * the loop arm, the registry changes its retraining actor made, with their reasons.
 */
export function comparisonMarkdown(results: readonly WindowResult[]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const rows = rowsOf(results).map((r) => `| ${r.map(esc).join(' | ')} |`);
  const align = `| ${HEAD.map((_, j) => (j < 3 ? '---' : '---:')).join(' | ')} |`;
  const summary = summaryLines(results).map((l) => (l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`));
  const changes = results.flatMap((w) => {
    const list = w.arms.loop?.modelChanges;
    if (list === undefined) return [];
    const head = `### ${w.window}: the loop arm's registry changes`;
    if (list.length === 0) return [head, '', 'none: the first model served throughout.', ''];
    const lines = list.map((c) => `| ${c.at.slice(0, 16).replace('T', ' ')} | ${c.event.replace('_', ' ')} | ${c.version} | ${c.previousVersion ?? '—'} | ${esc(c.reason)} |`);
    return [head, '', '| event time | change | version | previous | reason |', '| --- | --- | ---: | ---: | --- |', ...lines, ''];
  });
  return [`| ${HEAD.join(' | ')} |`, align, ...rows, '', ...summary, '', ...changes].join('\n');
}

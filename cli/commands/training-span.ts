import type { SymbolBars } from '../../models/training/bar-dataset.js';
import { countInWords } from './training-shortfall.js';

/** A UTC day, with the time of day where it is not midnight (a data file may start at any hour). */
const when = (ms: number): string => {
  const s = new Date(ms).toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : `${s.slice(0, 16).replace('T', ' ')} UTC`;
};

/**
 * The line a demo or backtest says before it trains its model: the bars it really trains on
 * (first bar's open to last bar's close, over all symbols), as what the data holds of the
 * `years` before `to`. It said "the three years before" even when the data held a few months.
 * Undefined when no symbol has a bar (the trainer's refusal names the shortfall then).
 */
export function trainingSpanLine(o: Readonly<{ name: string; timeframe: string; barMs: number; years: number; to: number; bars: readonly SymbolBars[] }>): string | undefined {
  let first = Infinity;
  let last = -Infinity;
  let n = 0;
  for (const s of o.bars) {
    const a = s.bars[0];
    const b = s.bars[s.bars.length - 1];
    if (a === undefined || b === undefined) continue;
    first = Math.min(first, a.ts);
    last = Math.max(last, b.ts);
    n += s.bars.length;
  }
  if (n === 0) return undefined;
  return `training ${o.name} on the ${o.timeframe} bars from ${when(first)} to ${when(last + o.barMs)} (${n} bars: what the data holds of the ${countInWords(o.years)} years before ${when(o.to)}) …`;
}

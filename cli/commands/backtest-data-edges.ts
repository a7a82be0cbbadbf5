/** The symbols, of those asked, that hold no bar in [from, to) (the backtest's CSV files or store). */
export type WithoutBars = (symbols: readonly string[], from: number, to: number) => Promise<readonly string[]>;

/** Later than any bar: the end of the span searched for bars after a window. */
const END_OF_TIME = 8.64e15;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One line per symbol whose data starts or ends inside the window: a `--to` past the data's end
 * ran and listed the missing bars as a gap in report.json, and said nothing. `bars` are the
 * window's bars in time order (any symbols mixed); a symbol whose first bar comes a bar or more
 * after `from` (or whose last comes more than a bar before `to`, as `findGaps` counts them) is
 * named only when the data holds no bar of it before `from` (after `to`): a hole that the data
 * fills again past the window's edge is a gap, not the data's start or end. In symbol order.
 */
export async function dataEdgeWarnings(
  bars: readonly Readonly<{ symbol: string; ts: number }>[],
  o: Readonly<{ from: number; to: number; barMs: number; tf: string }>,
  withoutBars: WithoutBars,
): Promise<string[]> {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const b of bars) {
    if (!first.has(b.symbol)) first.set(b.symbol, b.ts);
    last.set(b.symbol, b.ts);
  }
  const late = [...first].filter(([, ts]) => ts - o.from >= o.barMs).map(([s]) => s);
  const early = [...last].filter(([, ts]) => o.to - ts > o.barMs).map(([s]) => s);
  const starts = new Set(late.length === 0 ? [] : await withoutBars(late, 0, o.from));
  const ends = new Set(early.length === 0 ? [] : await withoutBars(early, o.to, END_OF_TIME));
  return [...new Set([...starts, ...ends])].sort().map((symbol) => {
    const f = first.get(symbol) as number;
    const l = last.get(symbol) as number;
    const clauses = [
      ...(starts.has(symbol) ? [`starts inside the window: first bar ${iso(f)}, ${Math.round((f - o.from) / o.barMs)} bars after its start ${iso(o.from)}`] : []),
      ...(ends.has(symbol) ? [`ends inside the window: last bar ${iso(l)}, ${Math.round((o.to - l) / o.barMs) - 1} bars before its end ${iso(o.to)}`] : []),
    ];
    return `${symbol}: its ${o.tf} data ${clauses.join('; and ')} (report.json lists the missing bars as a gap)`;
  });
}

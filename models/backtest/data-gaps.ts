/** A hole in a symbol's bars: no bar between `from` (the last bar before) and `to` (the first after). */
export type DataGap = Readonly<{ symbol: string; from: number; to: number; missingBars: number }>;

/**
 * Gaps in time-ordered bars (any symbols mixed): consecutive bars of a symbol more than one bar
 * apart; with a window, also bars missing at its start (`from` = window start) or its end
 * (`to` = window end) for a symbol that has any bar in it.
 */
export function findGaps(bars: readonly Readonly<{ symbol: string; ts: number }>[], barMs: number, window?: Readonly<{ from: number; to: number }>): DataGap[] {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const gaps: DataGap[] = [];
  const missing = (a: number, b: number): number => Math.round((b - a) / barMs) - 1;
  for (const b of bars) {
    const prev = last.get(b.symbol);
    if (prev === undefined) first.set(b.symbol, b.ts);
    else if (b.ts - prev > barMs) gaps.push({ symbol: b.symbol, from: prev, to: b.ts, missingBars: missing(prev, b.ts) });
    last.set(b.symbol, b.ts);
  }
  if (window !== undefined) {
    for (const [symbol, ts] of first) if (ts - window.from >= barMs) gaps.push({ symbol, from: window.from, to: ts, missingBars: missing(window.from - barMs, ts) });
    for (const [symbol, ts] of last) if (window.to - ts > barMs) gaps.push({ symbol, from: ts, to: window.to, missingBars: missing(ts, window.to) });
  }
  return gaps;
}

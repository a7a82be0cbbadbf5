import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import { readBars } from '../../gateways/historical/bars-csv.js';

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

const DAY_MS = 86_400_000;

/**
 * Why a symbol sits out a window, or undefined when it trades there: its files (a symbol may have
 * one per period, as the 5m data does) must hold bars in the window's first week and the
 * {@link FEATURE_WARMUP_BARS} bars before the window that warm its features (the backtest replays
 * them first). A short history is no reason: the window's model is trained on every symbol of the
 * window together, and its features are scale free. A symbol whose data starts (or resumes after a
 * hole) later in the window sits out the whole of it — a window trades its symbols from its start,
 * one model and one account for all of them — and the reason says where its data begins.
 */
export async function windowCoverage(paths: readonly string[], symbol: string, w: Readonly<{ from: number; to: number }>, tf: string): Promise<string | undefined> {
  /** Distinct bar times before the window (files of one symbol may overlap), counted up to what is needed. */
  const before = new Set<number>();
  /** The symbol's first bar in the window, over every file. */
  let firstIn = Number.POSITIVE_INFINITY;
  for (const path of paths) {
    for await (const b of readBars(path, { venue: 'binance', symbol, tf, to: w.to })) {
      if (b.ts >= w.from) {
        firstIn = Math.min(firstIn, b.ts);
        break;
      }
      if (before.size < FEATURE_WARMUP_BARS) before.add(b.ts);
    }
  }
  if (firstIn === Number.POSITIVE_INFINITY) return 'no data at the start of the window';
  if (firstIn >= w.from + 7 * DAY_MS) {
    const at = `${new Date(firstIn).toISOString()} (${Math.floor((firstIn - w.from) / DAY_MS)} days in)`;
    const what = before.size === 0 ? `its ${tf} data starts inside the window, at ${at}` : `its ${tf} data has a hole at the window's start, its first bar in the window at ${at}`;
    return `${what}; a window trades its symbols from its start, so it sits out the whole window`;
  }
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

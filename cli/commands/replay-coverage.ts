import { basename } from 'node:path';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { ReplayFile } from './replay-bar-spacing.js';

/** A file of a replay that gave no row in its window, and the times its rows span (none: no good row). */
export type NoRows = Readonly<{ symbol: string; file: string; firstTs?: number; lastTs?: number }>;

/** `source`, calling `onRow` for each row it gives: the rows a file held in the window. */
export async function* counted(source: AsyncIterable<MarketData>, onRow: () => void): AsyncGenerator<MarketData> {
  for await (const m of source) {
    onRow();
    yield m;
  }
}

/**
 * The first and last time of `f`'s good rows, read whole (only for a file that gave no row in
 * the window, so it is read at most twice). `--symbols BTC/USDT,SOL/USDT` over a July 2020 day
 * published BTC's 24 bars, and nothing said that SOL's file starts in August.
 */
export async function noRowsIn(f: ReplayFile, notAfter?: number): Promise<NoRows> {
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  for await (const m of readMarketData(f.path, { venue: f.venue, symbol: f.symbol, tf: f.tf, notAfter, onBadRow: () => undefined })) {
    firstTs ??= m.ts;
    lastTs = m.ts;
  }
  return { symbol: f.symbol, file: f.path, ...(firstTs === undefined ? {} : { firstTs, lastTs }) };
}

/** The stderr line for `n`: the window it held no row of, and where its data is. */
export function noRowsNote(n: NoRows, window: string): string {
  const where = n.firstTs === undefined || n.lastTs === undefined ? 'it holds no rows' : `it holds ${new Date(n.firstTs).toISOString()} to ${new Date(n.lastTs).toISOString()}`;
  return `note: ${n.symbol}: nothing published: ${basename(n.file)} has no row in the window ${window}; ${where}\n`;
}

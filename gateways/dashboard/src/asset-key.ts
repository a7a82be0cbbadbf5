/**
 * One symbol on one venue: what a chart, a features column and a `not traded now` mark are of.
 * BTC/USDT on binance and on kraken are two assets with two prices (the feed's payloads name the
 * venue, its snapshot holds each venue's); keyed by symbol alone they shared one chart whose
 * candles took turns between the venues' prices, and one features column.
 */
export type Asset = Readonly<{ venue: string; symbol: string }>;

/** The key of an asset in a map: a venue is one subject token (no '|'). */
export const assetKey = (venue: string, symbol: string): string => `${venue}|${symbol}`;

/** Charts and columns in order: by symbol, then venue (one symbol's venues side by side). */
export function compareAssets(a: Asset, b: Asset): number {
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0;
}

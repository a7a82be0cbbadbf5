/**
 * Asset classes for bias reports: a model that scores well on BTC and ETH may still be wrong
 * most of the time on memecoins, whose moves are driven by flows the bar features barely see.
 */
export const ASSET_CLASSES = ['large-cap', 'memecoin', 'other'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

const LARGE_CAP: ReadonlySet<string> = new Set(['BTC', 'ETH']);
/** Memecoin bases (spot tickers; the `1000`-prefixed perpetual forms are normalised away). */
const MEMECOINS: ReadonlySet<string> = new Set(['DOGE', 'PEPE', 'SHIB', 'FLOKI', 'BONK', 'WIF', 'BOME', 'MEME', 'BABYDOGE', 'ELON', 'TURBO', 'MOG', 'BRETT', 'POPCAT', 'NEIRO', 'PNUT', 'TRUMP']);

/** The base asset of a ccxt symbol (`BTC/USDT` → `BTC`, `1000PEPE/USDT:USDT` → `PEPE`, `BTC-USDT` → `BTC`). */
export function baseAsset(symbol: string): string {
  const base = (symbol.split(/[/:-]/)[0] ?? symbol).toUpperCase();
  return base.replace(/^1000+/, '');
}

/** large-cap (BTC, ETH), memecoin (DOGE, PEPE, SHIB, …) or other. */
export function assetClassOf(symbol: string): AssetClass {
  const base = baseAsset(symbol);
  if (LARGE_CAP.has(base)) return 'large-cap';
  if (MEMECOINS.has(base)) return 'memecoin';
  return 'other';
}

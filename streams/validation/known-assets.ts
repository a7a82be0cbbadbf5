/** Whether the engine trades an asset: the edge's check for market data and fills. */
export type IsKnownAsset = (venue: string, symbol: string) => boolean;

/**
 * The configured assets as an {@link IsKnownAsset} check (one set lookup: it runs per message).
 *
 * @example const isKnown = knownAssets(cfg.assets); isKnown('binance', 'BTC/USDT') // true
 */
export function knownAssets(assets: readonly Readonly<{ venue: string; symbol: string }>[]): IsKnownAsset {
  const known = new Set(assets.map((a) => `${a.venue}|${a.symbol}`));
  return (venue, symbol) => known.has(`${venue}|${symbol}`);
}

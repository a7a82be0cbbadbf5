/**
 * The quote currency of a ccxt unified symbol (`BTC/USDT`, `BTC/USDT:USDT` → USDT): what its
 * prices are in; null for another form. Used by the engine's status feed and the dashboard page
 * (whose bundle reaches `streams/messages/`, not `cli/`).
 */
export function quoteOf(symbol: string): string | null {
  const q = symbol.split(':')[0]?.split('/')[1];
  return q === undefined || q === '' ? null : q;
}

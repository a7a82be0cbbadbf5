/** The quote currency of a ccxt unified symbol (`BTC/USDT`, `BTC/USDT:USDT` → USDT): what its prices are in; null for another form. */
export function quoteOf(symbol: string): string | null {
  const q = symbol.split(':')[0]?.split('/')[1];
  return q === undefined || q === '' ? null : q;
}

/** `text` followed by its unit, or alone when the unit is not known. */
export function withUnit(text: string, unit: string | null | undefined): string {
  return unit === null || unit === undefined || unit === '' ? text : `${text} ${unit}`;
}

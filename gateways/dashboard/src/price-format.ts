/**
 * The chart's price scale format for a symbol: enough decimals to show about five significant
 * digits of its price (BTC 62772.01 → 2, DOGE 0.12448 → 5, PEPE 0.00001193 → 9), never fewer than
 * 2 nor more than 12. A fixed 2 decimals drew PEPE's whole scale as 0.00 and DOGE's as 0.12.
 */
export type PriceFormat = Readonly<{ type: 'price'; precision: number; minMove: number }>;

const MIN_DECIMALS = 2;
const MAX_DECIMALS = 12;
const SIGNIFICANT = 5;

export function priceFormatFor(price: number): PriceFormat {
  const magnitude = Number.isFinite(price) && price > 0 ? Math.floor(Math.log10(price)) : 0;
  const precision = Math.min(MAX_DECIMALS, Math.max(MIN_DECIMALS, SIGNIFICANT - 1 - magnitude));
  return { type: 'price', precision, minMove: Number((10 ** -precision).toFixed(precision)) };
}

/** A symbol with case and separators dropped: `btc/usdt`, `BTC-USDT` and `BTCUSDT` all read `BTCUSDT`. */
const spelling = (symbol: string): string => symbol.toUpperCase().replace(/[^A-Z0-9]/g, '');

/**
 * `; did you mean BTC/USDT?` when a symbol of `missing` is one of `known` spelt in another case or
 * with another separator (`--symbols btc/usdt`), else ''. Only a hint: symbols are matched exactly
 * everywhere (subjects, risk limits, the registry), so nothing is upper-cased for the user.
 *
 * @example `no 1h bar files for ${missing.join(', ')} under ${dir}${spellingHint(missing, files.map((f) => f.symbol))}`
 */
export function spellingHint(missing: readonly string[], known: Iterable<string>): string {
  const bySpelling = new Map<string, string>();
  for (const k of known) bySpelling.set(spelling(k), k);
  const meant = missing.flatMap((m): [string, string][] => {
    const k = bySpelling.get(spelling(m));
    return k === undefined || k === m ? [] : [[m, k]];
  });
  if (meant.length === 0) return '';
  if (missing.length === 1 && meant.length === 1) return `; did you mean ${meant[0]![1]}?`;
  return `; did you mean ${meant.map(([m, k]) => `${k} (for ${m})`).join(', ')}?`;
}

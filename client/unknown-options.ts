/**
 * What to say of the options in `opts` that are not `known`, or undefined when there are none:
 * each named with what it most likely meant (`meant`, when that is a known option) or why it is not
 * taken (`note`), and the options there are. A JavaScript caller's misspelt option was ignored.
 *
 * @example unknownOptions({ symbols: ['BTC/USDT'] }, ['durable', 'symbol'], { symbols: 'symbol' })
 * // 'unknown option symbols (did you mean symbol?): it would be ignored (options: durable, symbol)'
 */
export function unknownOptions(
  opts: object,
  known: readonly string[],
  meant: Readonly<Record<string, string>>,
  note: Readonly<Record<string, string>> = {},
): string | undefined {
  const unknown = Object.keys(opts).filter((k) => !known.includes(k));
  if (unknown.length === 0) return undefined;
  const named = unknown.map((k) => {
    const m = meant[k];
    const why = m !== undefined && known.includes(m) ? `did you mean ${m}?` : note[k];
    return `${k}${why !== undefined ? ` (${why})` : ''}`;
  });
  return `unknown option ${named.join(', ')}: it would be ignored (options: ${known.join(', ')})`;
}

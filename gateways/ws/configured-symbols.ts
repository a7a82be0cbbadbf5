import { symbolToken } from '../../streams/subjects.js';
import type { SymbolFilter } from './topics.js';

/** An asset the engine trades (`assets[]` of the config): the feed carries these only. */
export type ConfiguredAsset = Readonly<{ venue: string; symbol: string }>;

/**
 * Why a well-formed `symbols` entry names no configured asset, or undefined when it names one: a
 * symbol no asset has (`ETH/USDT` where only BTC/USDT is traded, a typo `BTC/USTD`), or a
 * `venue:symbol` whose venue has no asset of that symbol. Such an entry follows nothing, for good.
 */
export type UnconfiguredSymbol = (given: string, filter: SymbolFilter) => string | undefined;

/** A symbol with case and separators dropped (as `sextant dataset export`'s hint compares them): `BTC/USDT` → `BTCUSDT`. */
const spelling = (symbol: string): string => symbol.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** Edit distance with adjacent transpositions counting one (`USTD` → `USDT` is one slip). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      const above = d[i - 1]!;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/**
 * The configured symbols closest to `symbol`, a slip or two away (one per four characters, at
 * least one: `BTC/USTD` → BTC/USDT, not ETH/USDT for BTC/USDT), sorted; none when none is that close.
 */
export function closestSymbols(symbol: string, known: Iterable<string>): string[] {
  const s = spelling(symbol);
  const most = Math.max(1, Math.floor(s.length / 4));
  let best = most;
  let out: string[] = [];
  for (const k of new Set(known)) {
    const n = distance(s, spelling(k));
    if (n > most) continue;
    if (n < best || out.length === 0) [best, out] = [n, [k]];
    else if (n === best) out.push(k);
  }
  return out.sort();
}

const quoted = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
/** At most ten names, then how many more: a config may trade hundreds of assets. */
const listed = (xs: readonly string[]): string => quoted(xs.slice(0, 10)) + (xs.length > 10 ? ` and ${xs.length - 10} more` : '');

/**
 * The check of a `symbols` entry against the configured assets (`UnconfiguredSymbol`): the reason
 * names the entry, suggests the closest configured symbols (`venue:symbol` for a venue entry, the
 * symbol on another venue first) and lists the configured ones.
 *
 * @example configuredSymbols([{ venue: 'kraken', symbol: 'BTC/USDT' }])('BTC/USTD', { token: 'BTC-USTD' })
 * // '"BTC/USTD" can never match: no configured asset is "BTC/USTD"; did you mean "BTC/USDT"? (the configured symbols: "BTC/USDT")'
 */
export function configuredSymbols(assets: readonly ConfiguredAsset[]): UnconfiguredSymbol {
  const all = new Map<string, string>();
  const byVenue = new Map<string, Map<string, string>>();
  for (const a of assets) {
    const token = symbolToken(a.symbol);
    all.set(token, a.symbol);
    const v = byVenue.get(a.venue) ?? new Map<string, string>();
    v.set(token, a.symbol);
    byVenue.set(a.venue, v);
  }
  const sorted = (m: ReadonlyMap<string, string> | undefined): string[] => [...(m?.values() ?? [])].sort();
  return (given, { token, venue }) => {
    const symbol = venue === undefined ? given : given.slice(venue.length + 1);
    if (venue === undefined) {
      if (all.has(token)) return undefined;
      const meant = closestSymbols(symbol, all.values());
      return `${JSON.stringify(given)} can never match: no configured asset is ${JSON.stringify(symbol)}${meant.length > 0 ? `; did you mean ${meant.map((m) => JSON.stringify(m)).join(' or ')}?` : ''} (the configured symbols: ${listed(sorted(all))})`;
    }
    const here = byVenue.get(venue);
    // A venue no asset is on is the venue check's to refuse (`parseSymbolEntry`), naming the venues.
    if (here === undefined || here.has(token)) return undefined;
    const elsewhere = [...byVenue].filter(([, m]) => m.has(token)).map(([v, m]) => `${v}:${m.get(token)!}`);
    const meant = elsewhere.length > 0 ? elsewhere.sort() : closestSymbols(symbol, here.values()).map((m) => `${venue}:${m}`);
    return `${JSON.stringify(given)} can never match: no configured asset is ${JSON.stringify(symbol)} on venue ${JSON.stringify(venue)}${meant.length > 0 ? `; did you mean ${meant.map((m) => JSON.stringify(m)).join(' or ')}?` : ''} (its symbols: ${listed(sorted(here))})`;
  };
}

import type { Bar } from '../streams/messages/bar.js';
import { barId } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';
import { pageSizeOf } from './timeseries-store.js';
import type { RangeQuery, TimeseriesStore } from './timeseries-store.js';

type Row = { venue: string; symbol: string; ts: number; id: string };
type Asset<T> = { rows: Map<string, T>; last: number };

/** Byte order of ASCII ids, as the PostgreSQL columns (`COLLATE "C"`) sort them. */
const byTimeThenId = (a: Row, b: Row): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Same rule as the SQL adapter: a finite limit is floored (≤ 0 → none), anything else is no limit. */
const applyLimit = <T>(rows: T[], limit: number | undefined): T[] =>
  limit !== undefined && Number.isFinite(limit) ? rows.slice(0, Math.max(0, Math.floor(limit))) : rows;

/**
 * One table: rows grouped per asset and keyed inside it by the rest of the PostgreSQL unique key,
 * so duplicates are ignored alike and reads and `last` touch one asset only. `rowKey` gives the
 * key; where the table's key is (ts, id) it is the id alone (ids are flat strings already, and
 * hold their time), with (ts, id) used only for the rare id seen again at another time.
 */
function table<T extends Row>(rowKey: (r: T) => string, idKeyed: boolean) {
  // venue → symbol → rows: two lookups instead of building a key string per row.
  const assets = new Map<string, Map<string, Asset<T>>>();
  let size = 0;
  const assetOf = (venue: string, symbol: string): Asset<T> | undefined => assets.get(venue)?.get(symbol);
  const admit = (rows: Map<string, T>, r: T): boolean => {
    if (!idKeyed) {
      const k = rowKey(r);
      if (rows.has(k)) return false;
      rows.set(k, r);
      return true;
    }
    const seen = rows.get(r.id);
    if (seen === undefined) {
      rows.set(r.id, r);
      return true;
    }
    if (seen.ts === r.ts) return false;
    const k = rowKey(r); // (ts, id): the same id at another time is another row, as in SQL
    if (rows.has(k)) return false;
    rows.set(k, r);
    return true;
  };
  return {
    insert(batch: readonly T[] | undefined): number {
      let n = 0;
      for (const r of batch ?? []) {
        let a = assetOf(r.venue, r.symbol);
        if (a === undefined) {
          let bySymbol = assets.get(r.venue);
          if (bySymbol === undefined) assets.set(r.venue, (bySymbol = new Map()));
          bySymbol.set(r.symbol, (a = { rows: new Map(), last: r.ts }));
        }
        if (!admit(a.rows, r)) continue;
        if (r.ts > a.last) a.last = r.ts;
        n++;
      }
      size += n;
      return n;
    },
    select(q: RangeQuery, extra?: (r: T) => boolean): T[] {
      const a = assetOf(q.venue, q.symbol);
      if (a === undefined) return [];
      const out: T[] = [];
      for (const r of a.rows.values()) {
        if ((q.from !== undefined && r.ts < q.from) || (q.to !== undefined && r.ts >= q.to) || (extra !== undefined && !extra(r))) continue;
        out.push(r);
      }
      return applyLimit(out.sort(byTimeThenId), q.limit);
    },
    last: (venue: string, symbol: string): number | undefined => assetOf(venue, symbol)?.last,
    get size() {
      return size;
    },
    clear(): void {
      assets.clear();
      size = 0;
    },
  };
}

/** Rows already in memory, handed out as the pages a paged read gives (none when there are no rows). */
async function* pagesOf<T>(rows: readonly T[], pageSize: number): AsyncGenerator<T[]> {
  for (let i = 0; i < rows.length; i += pageSize) yield rows.slice(i, i + pageSize);
}

/** The TimeseriesStore in process (backtests, embedded demo), with the PostgreSQL unique keys. */
export function createMemoryTimeseriesStore(): TimeseriesStore {
  const byTimeAndId = (r: Row): string => `${r.ts}\u0000${r.id}`;
  const bars = table<Bar>((r) => `${r.tf}\u0000${r.ts}`, false);
  const trades = table<Trade>(byTimeAndId, true);
  const quotes = table<Quote>(byTimeAndId, true);
  const features = table<FeatureVector>(byTimeAndId, true);
  const tables = { bars, trades, quotes, features } as const;
  /** Newest bar time per asset and timeframe (`lastTs('bars', …, tf)`); the table's `last` is of any timeframe. */
  const lastBarOfTf = new Map<string, number>();
  const tfKey = (venue: string, symbol: string, tf: string): string => `${venue}\u0000${symbol}\u0000${tf}`;
  const insertBars = (rows: readonly Bar[] | undefined): number => {
    for (const r of rows ?? []) {
      const k = tfKey(r.venue, r.symbol, r.tf);
      if (r.ts > (lastBarOfTf.get(k) ?? Number.NEGATIVE_INFINITY)) lastBarOfTf.set(k, r.ts);
    }
    return bars.insert(rows);
  };
  const lastTs = async (t: keyof typeof tables, venue: string, symbol: string, tf?: string): Promise<number | undefined> =>
    t === 'bars' && tf !== undefined ? lastBarOfTf.get(tfKey(venue, symbol, tf)) : tables[t].last(venue, symbol);
  return {
    flavor: 'memory',
    insert: async (b) => ({ bars: insertBars(b.bars), trades: trades.insert(b.trades), quotes: quotes.insert(b.quotes), features: features.insert(b.features) }),
    bars: async (q) => bars.select(q, (r) => r.tf === q.tf),
    barPages: (q) => pagesOf(bars.select(q, (r) => r.tf === q.tf), pageSizeOf(q)),
    trades: async (q) => trades.select(q),
    quotes: async (q) => quotes.select(q),
    features: async (q) => features.select(q),
    barFeatures: async (q) => applyLimit(features.select({ venue: q.venue, symbol: q.symbol }, (r) => r.source === barId(q.venue, q.symbol, q.tf, r.ts)).reverse(), q.limit),
    counts: async () => ({ bars: bars.size, trades: trades.size, quotes: quotes.size, features: features.size }),
    lastTs,
    clear: async () => {
      Object.values(tables).forEach((t) => t.clear());
      lastBarOfTf.clear();
    },
    close: async () => {},
  };
}

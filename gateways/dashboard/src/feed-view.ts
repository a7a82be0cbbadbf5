import type { FeedStatus } from './topics.js';

/** One row of the market-data feeds panel, as the page writes it. */
export type FeedRow = Readonly<{ key: string; venue: string; symbol: string; stream: string; state: string; live: boolean; age: string; reason: string }>;

/** An age in whole seconds, minutes from 2 min, hours from 2 h, days from 2 d. */
function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`;
}

/**
 * What the feeds panel shows for one market-data feed of `sextant gateway` (the engine's view, as
 * `ctl status` says it in `feeds`): its state — `unknown` when the engine has not heard from the
 * gateway for 3 status intervals, whatever it last said — how old the gateway's last word was when
 * the engine sent it, and why it is not live (the gateway's code and reason, or the engine's
 * `gateway silent: …`) with the next try in UTC; a live feed's reason is kept too (`subscribed,
 * nothing received yet`). `live` false for every state but `live`: the page colours those. No DOM:
 * unit-tested under Node.
 *
 * @example feedRow({ venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'retrying', code: 'NETWORK', reason: 'ECONNRESET', retryAt: Date.UTC(2024, 0, 2, 15, 0, 30), ageMs: 4_200 })
 * // { key: 'binance:BTC/USDT:trade', …, state: 'retrying', live: false, age: '4 s', reason: 'NETWORK: ECONNRESET (next try 15:00:30 UTC)' }
 */
export function feedRow(f: FeedStatus): FeedRow {
  const said = [f.code, f.reason].filter((x): x is string => x !== undefined && x.trim() !== '').join(': ');
  const retry = f.retryAt === undefined || f.state === 'unknown' ? '' : `next try ${new Date(f.retryAt).toISOString().slice(11, 19)} UTC`;
  const reason = said !== '' && retry !== '' ? `${said} (${retry})` : said !== '' ? said : retry;
  return { key: `${f.venue}:${f.symbol}:${f.stream}`, venue: f.venue, symbol: f.symbol, stream: f.stream, state: f.state, live: f.state === 'live', age: age(f.ageMs), reason };
}

/** How many feeds down the header names before `… and N more`. */
const BANNER_NAMED = 3;

/**
 * What the page's header says while a market-data feed is not live (stale, failed, retrying,
 * unknown …): how many, and the first few by venue, symbol and stream with their state — risk
 * refuses those assets' orders (STALE_MARKET_DATA / NO_MARKET_DATA), which an operator must see
 * without opening the feeds panel. Null while every feed is live (or none is known).
 *
 * @example feedsBanner([{ venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'stale', ageMs: 0 }])
 * // '1 market-data feed down: binance BTC/USDT trade stale'
 */
export function feedsBanner(feeds: Iterable<FeedStatus>): string | null {
  const down = [...feeds].map(feedRow).filter((r) => !r.live);
  if (down.length === 0) return null;
  down.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) || a.stream.localeCompare(b.stream));
  const named = down.slice(0, BANNER_NAMED).map((r) => `${r.venue} ${r.symbol} ${r.stream} ${r.state}`);
  const more = down.length > BANNER_NAMED ? ` and ${down.length - BANNER_NAMED} more` : '';
  return `${down.length} market-data feed${down.length === 1 ? '' : 's'} down: ${named.join(', ')}${more}`;
}

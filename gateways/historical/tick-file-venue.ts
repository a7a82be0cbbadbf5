import { basename } from 'node:path';
import { UNKNOWN_VENUE } from '../data-dir.js';

/**
 * The venue a tick file's name says: its first `_`-separated word when that is a ccxt exchange id
 * (`binance` for `binance_BTCUSDT_spot_trades_2021-01-08_46s.csv`), else {@link UNKNOWN_VENUE}
 * (`freqtrade_orderflow_…`, `tardis_binance-futures_…`: a tool or vendor, not a venue). Tick
 * files have no folder convention of their own, so the name is all there is. ccxt is loaded here
 * only (about half a second) and only when tick files are given.
 */
export async function venueOfTickFile(path: string): Promise<string> {
  const first = /^([a-z0-9]+)_/i.exec(basename(path))?.[1]?.toLowerCase();
  if (first === undefined) return UNKNOWN_VENUE;
  const { default: ccxt } = await import('ccxt');
  return ccxt.exchanges.includes(first) ? first : UNKNOWN_VENUE;
}

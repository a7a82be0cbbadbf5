import { basename } from 'node:path';
import type { Timeframe } from '../streams/messages/bar.js';
import { TIMEFRAMES } from '../streams/messages/bar.js';

/**
 * freqtrade's `download-data` layout: `user_data/data/<exchange>/<PAIR>-<tf>.<ext>` for spot and
 * `…/<exchange>/futures/<PAIR>-<tf>-futures.<ext>` for futures, PAIR the ccxt pair with `/`, `:`
 * (and ` .@$+`) written `_` (freqtrade's `misc.pair_to_filename`): `BTC_USDT-1h.feather`,
 * `BTC_USDT_USDT-1h-futures.feather`. The extension says the format (`dataformat_ohlcv`):
 * `feather` (the default), `json`, `json.gz` (jsongz) or `parquet`. The other candle types
 * (`-mark`, `-index`, `-premiumIndex`, `-funding_rate`) are not trade bars and are not read.
 */
const FILE_RE = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_([A-Z0-9]+))?-(\w+?)(-futures)?\.(feather|json|json\.gz|parquet)$/i;

/** The layouts a freqtrade file comes in, by its extension. */
export type FreqtradeFormat = 'feather' | 'json' | 'jsongz' | 'parquet';

/** The format a freqtrade bar file's extension says, or undefined for any other file (a CSV). */
export function freqtradeFormatOf(path: string): FreqtradeFormat | undefined {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.json.gz')) return 'jsongz';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.feather')) return 'feather';
  if (name.endsWith('.parquet')) return 'parquet';
  return undefined;
}

export type FreqtradeName = Readonly<{ symbol: string; timeframe: Timeframe; market: 'spot' | 'futures' }>;

/**
 * What a freqtrade OHLCV file's name says (`BTC_USDT-1h.feather` → BTC/USDT 1h spot,
 * `BTC_USDT_USDT-1h-futures.feather` → BTC/USDT:USDT 1h futures), or undefined when the name is
 * not one, its timeframe is not one Sextant knows, or its candles are not trade bars.
 */
export function freqtradeFileName(name: string): FreqtradeName | undefined {
  const m = FILE_RE.exec(name);
  if (m === null) return undefined;
  const timeframe = TIMEFRAMES.find((t) => t === m[4]);
  if (timeframe === undefined) return undefined;
  const futures = m[5] !== undefined;
  // A futures pair has a settle currency (BTC/USDT:USDT) and a spot pair none.
  if (futures !== (m[3] !== undefined)) return undefined;
  const settle = m[3] === undefined ? '' : `:${m[3].toUpperCase()}`;
  return { symbol: `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}${settle}`, timeframe, market: futures ? 'futures' : 'spot' };
}

/**
 * The venue a freqtrade exchange folder's name says (`binance` for `user_data/data/binance`):
 * freqtrade names it by the ccxt exchange id, which is lower-case letters and digits; another
 * name (a folder the files were copied into) says nothing of the venue: undefined.
 */
export function freqtradeVenueOf(exchangeFolder: string): string | undefined {
  const name = basename(exchangeFolder);
  return /^[a-z][a-z0-9]*$/.test(name) ? name : undefined;
}

/** Why a file that looks like a bar file is not read: {@link unreadFileKind}. */
export type UnreadKind = 'timeframe' | 'candles' | 'trades' | 'hdf5';

/** A timeframe as freqtrade and ccxt write one (`3m`, `2h`, `1w`, `1M`), known to Sextant or not. */
export const TIMEFRAME_LIKE = /^\d+[smhdwM]$/;

/** Any file freqtrade's `download-data` writes: its candle types, trades, and hdf5 besides the formats read. */
const ANY_RE = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_([A-Z0-9]+))?-(\w+?)(?:-(futures|mark|index|premiumIndex|funding_rate))?\.(feather|json|json\.gz|parquet|h5)$/i;

/**
 * Why a freqtrade file is not read, with the symbol its name says (`BTC_USDT_USDT-8h-mark.feather`
 * → candles of BTC/USDT:USDT), or undefined for a file that is read or is no freqtrade file: mark,
 * index, premium-index and funding-rate candles (not trade bars), trades (`-trades`), a timeframe
 * Sextant does not know (`-3m`), freqtrade's hdf5 files.
 */
export function unreadFreqtradeFile(name: string): Readonly<{ symbol: string; kind: UnreadKind }> | undefined {
  if (freqtradeFileName(name) !== undefined) return undefined;
  const m = ANY_RE.exec(name);
  if (m === null) return undefined;
  const symbol = `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}${m[3] === undefined ? '' : `:${m[3].toUpperCase()}`}`;
  if (m[6]!.toLowerCase() === 'h5') return { symbol, kind: 'hdf5' };
  if (m[4]!.toLowerCase() === 'trades') return { symbol, kind: 'trades' };
  if (m[5] !== undefined && m[5].toLowerCase() !== 'futures') return { symbol, kind: 'candles' };
  return TIMEFRAME_LIKE.test(m[4]!) ? { symbol, kind: 'timeframe' } : undefined;
}

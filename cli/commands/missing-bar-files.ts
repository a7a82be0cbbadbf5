import { unreadBarFiles } from '../../gateways/data-dir.js';
import { unreadFilesNote } from '../../gateways/unread-bar-files.js';
import { spellingHint } from './symbol-spelling.js';

/**
 * The refusal of `missing`, symbols with no `timeframe` bar file under `dir` (the folder as given:
 * a data folder, a freqtrade exchange folder, a flat folder of CSV files), said alike by backtest,
 * train, demo and experiment: a did-you-mean for one of `held` (the symbols the folder does hold at
 * that timeframe) spelt in another case, and the files of `missing` the folder holds but does not
 * read, and why (mark candles, a 3m file: `unreadBarFiles`).
 *
 * @example no 1h bar files for ETH/USDT:USDT under ~/ft/binance (not read there: futures/ETH_USDT_USDT-8h-mark.feather: freqtrade mark, … candles, not trade bars)
 */
export function missingBarFilesMessage(dir: string, missing: readonly string[], timeframe: string, held: Iterable<string>): string {
  return `no ${timeframe} bar files for ${missing.join(', ')} under ${dir}${spellingHint(missing, held)}${unreadFilesNote(unreadBarFiles(dir, { symbols: missing }), dir)}`;
}

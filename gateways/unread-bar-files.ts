import { relative } from 'node:path';
import { TIMEFRAMES } from '../streams/messages/bar.js';
import type { UnreadKind } from './freqtrade-files.js';

/** A file that looks like a bar file but is not read, the symbol its name says, and why. */
export type UnreadFile = Readonly<{ path: string; symbol: string; kind: UnreadKind }>;

const WHY: Readonly<Record<UnreadKind, string>> = {
  timeframe: `their timeframe is not one Sextant reads (${TIMEFRAMES.join(', ')})`,
  candles: 'freqtrade mark, index, premium-index or funding-rate candles, not trade bars',
  trades: 'freqtrade trades, not bars',
  hdf5: 'freqtrade hdf5 (convert them: freqtrade convert-data --format-to feather)',
};
const LISTED = 10;

const list = (files: readonly UnreadFile[], base: string): string => {
  const names = files.slice(0, LISTED).map((f) => relative(base, f.path));
  return files.length > LISTED ? `${names.join(', ')} and ${files.length - LISTED} more` : names.join(', ');
};

/**
 * One line for each kind of file left unread under `base` (the folder as given), naming the files
 * (the first ten) and why: `5 files not read, freqtrade mark, … candles, not trade bars: futures/BTC_USDT_USDT-8h-mark.feather, …`.
 */
export function unreadFileWarnings(files: readonly UnreadFile[], base: string): string[] {
  const kinds = [...new Set(files.map((f) => f.kind))];
  return kinds.map((k) => {
    const mine = files.filter((f) => f.kind === k);
    return `${mine.length} file${mine.length === 1 ? '' : 's'} under ${base} not read, ${WHY[k]}: ${list(mine, base)}`;
  });
}

/**
 * For an error that found no bar file of `symbols` (all, when not given): ` (not read there: …)`
 * naming the files of those symbols the folder does hold and why they were not read, or '' when
 * it holds none.
 */
export function unreadFilesNote(files: readonly UnreadFile[], base: string, symbols?: readonly string[]): string {
  const mine = symbols === undefined ? files : files.filter((f) => symbols.includes(f.symbol));
  if (mine.length === 0) return '';
  const kinds = [...new Set(mine.map((f) => f.kind))];
  return ` (not read there: ${kinds.map((k) => `${list(mine.filter((f) => f.kind === k), base)}: ${WHY[k]}`).join('; ')})`;
}

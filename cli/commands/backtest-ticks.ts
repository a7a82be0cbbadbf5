import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { detectFormat, parseHeader, REQUIRED_COLUMNS } from '../../gateways/historical/csv-format.js';
import { readTickBatches } from '../../gateways/historical/market-data-csv.js';
import type { Quote } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import type { TickFile } from './backtest-spec.js';

/** The two trades layouts' columns, as the refusal names them. */
const TRADES_COLUMNS = `${REQUIRED_COLUMNS['freqtrade-trades'].join(',')} or ${REQUIRED_COLUMNS['nautilus-trades'].join(',')}`;

/** The first line of a file (at most 4 KiB of it). */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses, before anything is trained: a file that is missing, not a file, or not a trades or
 * bookTicker CSV (bars come from `--data`), a symbol the backtest does not trade, and the same
 * file given twice.
 */
export function checkTickFiles(files: readonly TickFile[], symbols: readonly string[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    if (!symbols.includes(f.symbol)) throw new InvalidArgumentError(`--ticks ${f.symbol}=${f.path}: ${f.symbol} is not among the backtest's symbols (${symbols.join(', ')})`);
    if (!existsSync(f.path) || !statSync(f.path).isFile()) throw new InvalidArgumentError(`--ticks ${f.path}: no such file`);
    if (seen.has(f.path)) throw new InvalidArgumentError(`--ticks ${f.path}: given more than once`);
    seen.add(f.path);
    const format = detectFormat(parseHeader(firstLine(f.path)));
    if (format === 'ohlcv') throw new InvalidArgumentError(`--ticks ${f.path}: an OHLCV file; bars come from --data`);
    if (format === undefined) throw new InvalidArgumentError(`--ticks ${f.path}: not a trades (${TRADES_COLUMNS}) or bookTicker (${REQUIRED_COLUMNS.bookticker.join(',')}) CSV`);
  }
}

/** Each tick file's messages in [from, to), a chunk of rows at a time, for the replay's merge. */
export function tickSources(files: readonly TickFile[], o: Readonly<{ venue: string; from: number; to: number }>): AsyncGenerator<Array<Trade | Quote>>[] {
  return files.map((f) => readTickBatches(f.path, { venue: o.venue, symbol: f.symbol, from: o.from, to: o.to }));
}

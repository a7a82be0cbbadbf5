import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { barFileName } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import type { Timeframe } from '../../streams/messages/bar.js';
import { leastBarStep, spacingMismatch } from './bar-spacing.js';

/**
 * `--data <file>` is one symbol's bars, and nothing in the file says which symbol or timeframe: a
 * 5m file given with the default `--timeframe 1h` was replayed as 1h bars (twelve "hours" an
 * hour, annualised as such, scored by a model trained on 1h bars). Refuses a file whose name
 * (`<BASE>_<QUOTE>_<tf>[_…].csv`) names another symbol or timeframe, or whose first bars are not
 * one timeframe apart (their least step: gaps only make steps longer).
 */
export async function checkBarFile(path: string, symbol: string, tf: Timeframe): Promise<void> {
  const named = barFileName(basename(path));
  if (named !== undefined && named.symbol !== symbol) throw new InvalidArgumentError(`${basename(path)} holds ${named.symbol} bars by its name, not ${symbol}: give --symbols ${named.symbol}`);
  if (named !== undefined && named.timeframe !== tf) throw new InvalidArgumentError(`${basename(path)} holds ${named.timeframe} bars by its name, not ${tf}: give --timeframe ${named.timeframe}`);
  const off = spacingMismatch(await leastBarStep(readBars(path, { venue: 'file', symbol, tf })), tf);
  if (off === undefined) return;
  throw new InvalidArgumentError(`${basename(path)}: its first bars are ${off.apart} apart, not ${tf}${off.actual !== undefined ? `: give --timeframe ${off.actual}` : ''}`);
}

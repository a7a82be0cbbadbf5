import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { barFileName } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { TIMEFRAME_MS, TIMEFRAMES } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';

/** Bars read from the head of a file to measure its spacing: enough to step over a few gaps. */
const SPACING_SAMPLE = 50;

/** The least step between the open times of the first bars of `path` (undefined with fewer than two). */
async function leastStep(path: string, symbol: string, tf: Timeframe): Promise<number | undefined> {
  let prev: number | undefined;
  let least: number | undefined;
  let n = 0;
  for await (const b of readBars(path, { venue: 'file', symbol, tf })) {
    if (prev !== undefined && b.ts > prev) least = least === undefined ? b.ts - prev : Math.min(least, b.ts - prev);
    prev = b.ts;
    if (++n >= SPACING_SAMPLE) break;
  }
  return least;
}

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
  const step = await leastStep(path, symbol, tf);
  if (step === undefined || step === TIMEFRAME_MS[tf]) return;
  const actual = TIMEFRAMES.find((t) => TIMEFRAME_MS[t] === step);
  throw new InvalidArgumentError(`${basename(path)}: its first bars are ${actual ?? `${step / 60_000} minutes`} apart, not ${tf}${actual !== undefined ? `: give --timeframe ${actual}` : ''}`);
}

import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../../config/schema.js';
import { findBarFilesUnder, requireDataDir } from '../../gateways/data-dir.js';
import type { BarFile } from '../../gateways/data-dir.js';
import { trainingDirOf } from './backtest.js';

/** What `--suite regimes` takes as `--data`, said by the help and the error alike. */
export const SUITE_DATA_FORMS = 'a data folder (holding ohlcv/), its ohlcv/ or one ohlcv/<venue>_<market>_<tf>/ folder, a folder of <BASE>_<QUOTE>_<tf>*.csv files, or a freqtrade exchange folder (user_data/data/<exchange>)';

export type SuiteData = Readonly<{
  /** What each window's backtest replays (`--data` as given, else the configured data folder). */
  data: string;
  /** The `tf` bar files under it, of any symbol: the suite picks its symbols from them. */
  files: readonly BarFile[];
  /** Where each window's model trains: the data folder `data` is or lies in, else the configured one (as a single backtest). */
  trainingDir: string;
}>;

/**
 * The bars a regime suite runs on. It backtests several symbols per window, so `--data` is a
 * folder in any form a single backtest takes (a flat folder of bar files too); one CSV file holds
 * one symbol's bars and is refused, saying what the suite needs.
 */
export function suiteData(data: string | undefined, cfg: Config, tf: string): SuiteData {
  if (data === undefined) {
    const dir = requireDataDir(cfg.data.dir);
    return { data: dir, files: findBarFilesUnder(dir, { timeframe: tf }), trainingDir: dir };
  }
  if (existsSync(data) && statSync(data).isFile()) {
    throw new InvalidArgumentError(`--suite regimes backtests several symbols per window, so --data must be a folder: ${SUITE_DATA_FORMS}; ${data} is one file (give it to a single backtest with --symbols and --from/--to)`);
  }
  return { data, files: findBarFilesUnder(data, { timeframe: tf }), trainingDir: trainingDirOf(data, cfg) };
}

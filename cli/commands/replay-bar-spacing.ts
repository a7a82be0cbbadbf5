import { basename } from 'node:path';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
import type { Timeframe } from '../../streams/messages/bar.js';
import { leastBarStep, SPACING_SAMPLE, spacingMismatch } from './bar-spacing.js';

/** One file a replay reads, as `replayFiles` resolved it. */
export type ReplayFile = Readonly<{
  path: string;
  venue: string;
  symbol: string;
  tf: Timeframe;
  /** Where `tf` came from: the file's name (or its folder's), a `--timeframe` flag, or the 1h default. */
  tfFrom: 'name' | 'flag' | 'default';
}>;

/**
 * Why the bars of `f` are not `f.tf` bars, or undefined. Nothing in an OHLCV file says its
 * timeframe: a 5m file whose name does not say so (`btc.csv --symbol BTC/USDT`) was published as
 * 1h bars, the default — twelve "hours" an hour on the 1h subject, with 1h ids, which every asset
 * actor took. The least step between its first bars is its timeframe (gaps only make steps longer).
 */
export async function barSpacingProblem(f: ReplayFile, notAfter?: number): Promise<string | undefined> {
  // Bad rows (`notAfter`: rows dated later are bad, as the replay reads them) are left to the
  // replay, which dead-letters them; a file refused whole (another time unit, an unknown header) throws here.
  const rows = readMarketData(f.path, { venue: f.venue, symbol: f.symbol, tf: f.tf, limit: SPACING_SAMPLE, notAfter, onBadRow: () => undefined });
  const off = spacingMismatch(await leastBarStep(rows), f.tf);
  if (off === undefined) return undefined;
  const { apart, actual } = off;
  const name = basename(f.path);
  switch (f.tfFrom) {
    case 'name':
      return `${name}: its first bars are ${apart} apart, not ${f.tf} as its name says: rename the file after its bars`;
    case 'flag':
      return `${name}: its first bars are ${apart} apart, not ${f.tf} (--timeframe)${actual === undefined ? '' : `: give --timeframe ${actual}`}`;
    case 'default':
      return `${name}: its first bars are ${apart} apart, not ${f.tf} (the default when neither the file's name nor --timeframe says)${actual === undefined ? '' : `: give --timeframe ${actual}`}`;
  }
}

import { InvalidArgumentError } from 'commander';
import { UNKNOWN_VENUE } from '../../gateways/data-dir.js';

/** What a backtest's CSV data says of its venue: the bars' folders and the tick files' names. */
export type DataVenues = Readonly<{
  /** `--data` as given (a file or folder), for the errors. */
  data: string;
  /** The venue of each bar file's folder (`ohlcv/binance_spot_1h/` → binance), {@link UNKNOWN_VENUE} in a flat folder. */
  bars: readonly string[];
  /** Each tick file with the venue its name says (`binance_BTCUSDT_…` → binance), or {@link UNKNOWN_VENUE}. */
  ticks: readonly Readonly<{ path: string; venue: string }>[];
}>;

export type BacktestVenue = Readonly<{ venue: string; warning?: string }>;

/**
 * The venue a backtest runs under. In a backtest the venue is a name (subjects, asset ids,
 * `report.json`'s `venue`): the costs are `paperVenue`'s whatever it is. So:
 *
 * - data that names two venues (binance bars, kraken ticks), or a spec's `venue:` the data
 *   contradicts, is refused: one asset would be fed two venues' prices, or the spec says one
 *   thing and the data another;
 * - the config's `venue:` (the live engine's) over data that names another runs under the data's
 *   venue, with a warning: a kraken config backtested on binance bars as a proxy is a fair use
 *   (its paperVenue costs apply), but the report must not call binance bars kraken bars;
 * - data that names no venue (a flat folder of bar files, PostgreSQL, whose rows are read by
 *   venue) runs under the spec's, else the config's.
 */
export function backtestVenue(o: Readonly<{ spec?: string; config: string; data?: DataVenues }>): BacktestVenue {
  const named = (vs: readonly string[]): string[] => [...new Set(vs.filter((v) => v !== UNKNOWN_VENUE))];
  const bars = named(o.data?.bars ?? []);
  const ticks = named((o.data?.ticks ?? []).map((t) => t.venue));
  const says = (venue: string): string =>
    [
      ...(bars.length > 0 ? [`the bars under ${o.data?.data as string} are ${bars.join(' and ')} bars by their folder`] : []),
      ...(o.data?.ticks ?? []).filter((t) => t.venue !== UNKNOWN_VENUE && t.venue !== venue).map((t) => `--ticks ${t.path} holds ${t.venue} ticks by its name`),
    ].join('; ');
  const all = named([...bars, ...ticks]);
  if (all.length > 1) {
    throw new InvalidArgumentError(`the data names ${all.length} venues (${all.join(', ')}): ${says(bars[0] ?? '')}: an asset is fed one venue's prices: give bars and ticks of one venue`);
  }
  const data = all[0];
  if (o.spec !== undefined) {
    if (data !== undefined && data !== o.spec) throw new InvalidArgumentError(`venue: ${o.spec} (the spec) contradicts the data: ${says(o.spec)}: drop \`venue:\` or give ${o.spec} ${bars.length > 0 ? 'bars' : 'ticks'}`);
    return { venue: o.spec };
  }
  if (data === undefined || data === o.config) return { venue: o.config };
  return {
    venue: data,
    warning: `venue ${o.config} (the config's \`venue:\`) is not the data's: ${says(o.config)}; ran as ${data}, with the config's paperVenue costs: give \`venue: ${data}\` in the spec to run so without this warning`,
  };
}

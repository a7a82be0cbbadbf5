/**
 * Historical market data: streaming CSV readers that yield Sextant messages with deterministic
 * ids, and a time-ordered merge of several sources. Replay to the bus is `gateways/replay.ts`.
 */
export { parseTimeframe, readBars } from './bars-csv.js';
export type { BarReadOptions } from './bars-csv.js';
export { CsvFormat, detectFormat, parseHeader, REQUIRED_COLUMNS } from './csv-format.js';
export { readMarketData } from './market-data-csv.js';
export type { MarketDataReadOptions } from './market-data-csv.js';
export { MergeOrderError, mergeByTime } from './merge-by-time.js';
export type { Timed } from './merge-by-time.js';
export { readQuotes } from './quotes-csv.js';
export type { QuoteReadOptions } from './quotes-csv.js';
export type { Instrument, ReadWindow } from './read-rows.js';
export { isSourceError, SourceError } from './source-error.js';
export { readTrades } from './trades-csv.js';
export type { TradeReadOptions } from './trades-csv.js';

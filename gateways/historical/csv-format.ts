import { SourceError } from './source-error.js';

/**
 * The historical CSV layouts Sextant reads, told apart by their header (column order is free,
 * extra columns are ignored):
 *
 * | format | required columns |
 * | --- | --- |
 * | `ohlcv` | `timestamp,open,high,low,close,volume` (`datetime`, `src`, indicator columns ignored) |
 * | `freqtrade-trades` | `timestamp,id,side,price,amount` (`cost` ignored) |
 * | `nautilus-trades` | `timestamp,trade_id,price,quantity,buyer_maker` |
 * | `bookticker` | `timestamp,ask_size,ask,bid_size,bid` (`symbol` checked when present) |
 */
export const CsvFormat = {
  OHLCV: 'ohlcv',
  FREQTRADE_TRADES: 'freqtrade-trades',
  NAUTILUS_TRADES: 'nautilus-trades',
  BOOKTICKER: 'bookticker',
} as const;
export type CsvFormat = (typeof CsvFormat)[keyof typeof CsvFormat];

export const REQUIRED_COLUMNS = {
  ohlcv: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
  'freqtrade-trades': ['timestamp', 'id', 'side', 'price', 'amount'],
  'nautilus-trades': ['timestamp', 'trade_id', 'price', 'quantity', 'buyer_maker'],
  bookticker: ['timestamp', 'ask_size', 'ask', 'bid_size', 'bid'],
} as const satisfies Readonly<Record<CsvFormat, readonly string[]>>;

/** Most specific first: a trades file could carry extra columns, but never all of OHLC. */
const DETECTION_ORDER: readonly CsvFormat[] = ['ohlcv', 'bookticker', 'nautilus-trades', 'freqtrade-trades'];

/** Header cells, trimmed and lower-cased, without a UTF-8 byte-order mark. */
export function parseHeader(line: string): string[] {
  const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  return text.split(',').map((c) => c.trim().toLowerCase());
}

/** The format whose required columns the header holds, or undefined. */
export function detectFormat(header: readonly string[]): CsvFormat | undefined {
  return DETECTION_ORDER.find((f) => REQUIRED_COLUMNS[f].every((c) => header.includes(c)));
}

export type Columns<F extends CsvFormat> = Readonly<Record<(typeof REQUIRED_COLUMNS)[F][number], number>>;

/**
 * The index of each required column of `format`, or a {@link SourceError} at line 1 that says
 * which columns were expected and what the file has.
 */
export function columnsFor<F extends CsvFormat>(header: readonly string[], file: string, format: F): Columns<F> {
  const names: readonly string[] = REQUIRED_COLUMNS[format];
  const missing = names.filter((n) => !header.includes(n));
  if (missing.length > 0) {
    const detected = detectFormat(header);
    throw new SourceError(
      file,
      1,
      `not a ${format} file: missing column(s) ${missing.join(',')} in header ${JSON.stringify(header.join(','))}` +
        (detected === undefined ? '' : ` (it looks like ${detected})`),
    );
  }
  const out: Record<string, number> = {};
  for (const n of names) out[n] = header.indexOf(n);
  return out as Columns<F>;
}

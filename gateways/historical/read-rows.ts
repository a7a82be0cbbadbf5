import { symbolToken, venueToken } from '../../streams/subjects.js';
import { readLineBatches } from './csv-lines.js';
import { parseHeader } from './csv-format.js';
import { flattenBatches } from './flatten-batches.js';
import { createRowScanner, RowProblem } from './row-scanner.js';
import type { Row } from './row-scanner.js';
import { SourceError } from './source-error.js';
import { timeUnitProblem } from './time-unit.js';

/** Which rows of a file to read. Rows are in time order, so `to` ends the read early. */
export type ReadWindow = Readonly<{
  /** Inclusive lower bound on the event time (epoch ms). */
  from?: number;
  /** Exclusive upper bound on the event time (epoch ms). */
  to?: number;
  /** Most messages to yield. */
  limit?: number;
  /**
   * Rows after this event time (epoch ms) are bad rows: historical data cannot be in the future,
   * and one typo there (2100 for 2020) would otherwise be read and every real row after it refused
   * as out of order. A replay passes the wall clock; undefined: no bound.
   */
  notAfter?: number;
  /**
   * When given, a bad row is reported here and skipped; when absent it ends the read with a
   * {@link SourceError}. Historical files are normally clean, so failing loudly is the default.
   */
  onBadRow?: (error: SourceError) => void;
}>;

/** Whose data a file holds: the caller says so, the file does not (and ids depend on it). */
export type Instrument = Readonly<{ venue: string; symbol: string }>;

/** How one format turns a row into a message. */
export type RowParser<T> = Readonly<{
  /** Fields every row must have: the header's width. */
  width: number;
  tsColumn: number;
  /** Bars must be strictly increasing in time; ticks may share a millisecond. */
  strictOrder: boolean;
  /** Throws {@link RowProblem} on a bad value. Called for rows inside the window only, in file order. */
  build(row: Row, ts: number): T;
}>;

/** Builds the parser from the header; throws {@link SourceError} when the header does not fit. */
export type ParserFactory<T> = (header: readonly string[], file: string) => RowParser<T>;

/** Refuses a nonsensical window at call time rather than on the first read. */
export function checkWindow(w: ReadWindow): void {
  if (w.from !== undefined && !Number.isFinite(w.from)) throw new RangeError(`from must be a finite epoch ms, got ${w.from}`);
  if (w.to !== undefined && !Number.isFinite(w.to)) throw new RangeError(`to must be a finite epoch ms, got ${w.to}`);
  if (w.limit !== undefined && !(Number.isInteger(w.limit) && w.limit >= 0)) throw new RangeError(`limit must be a non-negative integer, got ${w.limit}`);
  if (w.notAfter !== undefined && !Number.isFinite(w.notAfter)) throw new RangeError(`notAfter must be a finite epoch ms, got ${w.notAfter}`);
}

/** Fails at call time on a venue or symbol that could never become a subject. */
export function checkInstrument(o: Instrument): void {
  venueToken(o.venue);
  symbolToken(o.symbol);
}

/**
 * The shared read loop: header → parser, then one message per data row inside the window.
 * Blank lines are skipped; a row out of time order is a bad row (merging and `to` rely on order).
 * Messages are produced a chunk at a time and handed out one by one without an async generator
 * step per row (with the row scanner and 64 KiB chunks this took OHLCV reading from ~400k to
 * 600–900k rows/s). A bad row still surfaces after every message before it. A first data row
 * whose timestamp is in seconds, microseconds or nanoseconds refuses the whole file at once (a
 * {@link SourceError} even with `onBadRow`): every row after it would be refused alike.
 */
export function readRows<T>(path: string, factory: ParserFactory<T>, window: ReadWindow): AsyncIterableIterator<T> {
  return flattenBatches(readRowBatches(path, factory, window));
}

/** {@link readRows} a chunk of rows at a time (for `mergeBatchesByTime`); a batch may be empty. */
export async function* readRowBatches<T>(path: string, factory: ParserFactory<T>, window: ReadWindow): AsyncGenerator<T[]> {
  const from = window.from ?? -Infinity;
  const to = window.to ?? Infinity;
  const limit = window.limit ?? Infinity;
  const notAfter = window.notAfter ?? Infinity;
  const onBadRow = window.onBadRow;
  if (limit <= 0) return;
  let parser: RowParser<T> | undefined;
  let scanner = createRowScanner(0);
  let prevTs = -Infinity;
  let yielded = 0;
  let unitChecked = false;

  for await (const { lines, firstLine } of readLineBatches(path)) {
    const out: T[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (parser === undefined) {
        // A gzip or other binary file: say so rather than print its bytes as an unknown header
        // (or blame a stray CR byte in them). Invalid UTF-8 reads as U+FFFD.
        if (/[\u0000\uFFFD]/.test(line)) throw new SourceError(path, firstLine + i, 'the header line is not text: a compressed or binary file? (decompress it first, e.g. gunzip)');
        // Lines that end in CR alone (old Mac, some spreadsheet exports) read as one header line
        // holding the whole file: the read found no rows and published nothing, without a word.
        if (line.includes('\r')) throw new SourceError(path, firstLine + i, `the header line holds a carriage return: the file's lines end in CR alone; convert them to \\n (e.g. tr '\\r' '\\n')`);
        parser = factory(parseHeader(line), path);
        scanner = createRowScanner(parser.width);
        continue;
      }
      if (line.length === 0) continue;
      try {
        const width = scanner.load(line);
        if (width !== parser.width) throw new RowProblem(`expected ${parser.width} fields as in the header, got ${width}`);
        if (!unitChecked) {
          // A file in seconds or microseconds is refused once, not row by row (each a DLQ entry).
          unitChecked = true;
          const wrongUnit = timeUnitProblem(scanner, parser.tsColumn, 'timestamp');
          if (wrongUnit !== undefined) throw new SourceError(path, firstLine + i, wrongUnit);
        }
        const ts = scanner.epochMs(parser.tsColumn, 'timestamp');
        if (ts > notAfter) throw new RowProblem(`timestamp ${ts} (${new Date(ts).toISOString()}) is in the future (after ${new Date(notAfter).toISOString()})`);
        if (ts < prevTs || (parser.strictOrder && ts === prevTs)) {
          throw new RowProblem(`timestamp ${ts} ${ts === prevTs ? 'repeats the previous row' : `is before the previous row's ${prevTs}`}; rows must be in time order`);
        }
        if (ts < from) {
          prevTs = ts;
          continue;
        }
        if (ts >= to) {
          yield out;
          return;
        }
        out.push(parser.build(scanner, ts));
        // Only a row that was read moves the order check: a refused row's time would otherwise
        // refuse the good row after it at that time (a corrected repeat) as out of order.
        prevTs = ts;
      } catch (e) {
        if (!(e instanceof RowProblem)) throw e;
        const error = new SourceError(path, firstLine + i, e.message, { row: line });
        if (onBadRow === undefined) {
          yield out;
          throw error;
        }
        onBadRow(error);
        continue;
      }
      if (++yielded >= limit) {
        yield out;
        return;
      }
    }
    if (out.length > 0) yield out;
  }
  if (parser === undefined) throw new SourceError(path, undefined, 'empty file: no header line');
}

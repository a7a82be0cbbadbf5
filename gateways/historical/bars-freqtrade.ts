import { readFile } from 'node:fs/promises';
import type * as Arrow from 'apache-arrow';
import type { Table } from 'apache-arrow';
import type * as Lz4 from 'lz4-napi';
import type * as Parquet from 'parquet-wasm';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { freqtradeFormatOf } from '../freqtrade-files.js';
import type { FreqtradeFormat } from '../freqtrade-files.js';
import { barParser } from './bar-parser.js';
import { jsonRowChunks } from './freqtrade-json-rows.js';
import type { Instrument, ReadWindow } from './read-rows.js';
import { RowProblem, rowOf } from './row-scanner.js';
import type { Row } from './row-scanner.js';
import { SourceError } from './source-error.js';
import { wrongTimeUnitOf } from './time-unit.js';

/** freqtrade's `DEFAULT_DATAFRAME_COLUMNS`, the order its JSON rows hold them in. */
const COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
/** The header {@link barParser} is given: its `timestamp` is freqtrade's `date`. */
const HEADER = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
const BATCH = 8192;

/** A file's rows, cell by cell: `date` (epoch ms, or what the file holds when it is not a time), open, high, low, close, volume. */
type Cells = Readonly<{ rows: number; cell(row: number, column: number): unknown }>;

const describe = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v));

/** A {@link Row} over one row's cells ({@link rowOf}), so the CSV reader's bar checks (and their words) apply as they are. */
function cellRow(): Row & { at(cells: Cells, row: number): void } {
  let cells: Cells = { rows: 0, cell: () => undefined };
  let row = 0;
  const raw = (i: number): string | undefined => {
    const v = cells.cell(row, i);
    return v === undefined ? undefined : describe(v);
  };
  const finite = (i: number, name: string): number => {
    const v = cells.cell(row, i);
    const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RowProblem(`${name} ${JSON.stringify(raw(i) ?? '')} is not a finite number`);
    return n;
  };
  return {
    ...rowOf(raw, finite),
    at(c, r) {
      cells = c;
      row = r;
    },
  };
}

/** A chunk of a JSON file's `[date ms, open, high, low, close, volume]` rows (freqtrade's `json` and `jsongz`, pandas' `orient="values"`). */
function jsonCells(rows: readonly unknown[]): Cells {
  return {
    rows: rows.length,
    cell(r, c) {
      const row = rows[r];
      if (!Array.isArray(row) || row.length !== COLUMNS.length) throw new RowProblem(`expected a row of ${COLUMNS.length} values [${COLUMNS.join(', ')}], got ${describe(row)}`);
      return (row as unknown[])[c];
    },
  };
}

/** An Arrow table with freqtrade's columns (a Feather v2 file, or a Parquet file read into one); `date` a timestamp (or epoch ms integers). */
function tableCells(path: string, table: Table): Cells {
  const names = table.schema.fields.map((f) => f.name);
  const missing = COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new SourceError(path, undefined, `not a freqtrade OHLCV file: missing column(s) ${missing.join(',')} among ${names.join(',')} (expected ${COLUMNS.join(',')})`);
  const vectors = COLUMNS.map((c) => table.getChild(c)!);
  const date = vectors[0]!;
  const dateType = String(date.type);
  if (!/^(Timestamp|Int|Uint|Float)/.test(dateType)) throw new SourceError(path, undefined, `column date is ${dateType}: expected a timestamp (or epoch milliseconds)`);
  return {
    rows: table.numRows,
    cell(r, c) {
      const v: unknown = vectors[c]!.get(r);
      // arrow-js gives a timestamp of any unit as epoch milliseconds.
      return v === null ? null : v;
    },
  };
}

/**
 * apache-arrow decompresses an IPC body only with a codec registered, and ships none; pyarrow
 * writes Feather with LZ4 frames (pandas' `to_feather`, which freqtrade calls with
 * `compression="lz4"`). lz4-napi is the reference LZ4 library's frame decoder (prebuilt, no
 * install script); a malformed frame throws, which the caller reports with the file's path.
 */
function registerLz4({ compressionRegistry, CompressionType }: typeof Arrow, { decompressFrameSync }: typeof Lz4): void {
  if (compressionRegistry.get(CompressionType.LZ4_FRAME)?.decode !== undefined) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => new Uint8Array(decompressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) });
}

/**
 * The Feather/Parquet readers, imported with the first such file read rather than by every
 * command that can read bars: apache-arrow alone takes about 0.7 s to import, parquet-wasm 0.3 s,
 * which each `sextant` start paid (`--help` and `ctl` included) before any file was read.
 */
async function columnarReaders(): Promise<Readonly<{ arrow: typeof Arrow; lz4: typeof Lz4; parquet: typeof Parquet }>> {
  const [arrow, lz4, parquet] = await Promise.all([import('apache-arrow'), import('lz4-napi'), import('parquet-wasm')]);
  return { arrow, lz4, parquet };
}

/**
 * A file's rows, a chunk at a time: a JSON file's as they are parsed ({@link jsonRowChunks}), an
 * Arrow table's (Feather, Parquet) in one chunk, the file read whole (columnar: 48 bytes a row).
 */
async function* loadCells(path: string, format: FreqtradeFormat): AsyncGenerator<Cells> {
  if (format === 'json' || format === 'jsongz') {
    for await (const rows of jsonRowChunks(path, format === 'jsongz')) yield jsonCells(rows);
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SourceError(path, undefined, `cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  yield await tableOf(path, format, bytes);
}

async function tableOf(path: string, format: 'feather' | 'parquet', bytes: Uint8Array): Promise<Cells> {
  try {
    const { arrow, lz4, parquet } = await columnarReaders();
    if (format === 'parquet') return tableCells(path, arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream()));
    const magic = new TextDecoder().decode(bytes.subarray(0, 6));
    if (magic !== 'ARROW1') {
      throw new SourceError(path, undefined, magic.startsWith('FEA1') ? 'a Feather v1 file: convert it to Feather v2 (pandas to_feather, freqtrade convert-data)' : 'not a Feather v2 (Arrow IPC) file');
    }
    registerLz4(arrow, lz4);
    return tableCells(path, arrow.tableFromIPC(bytes));
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(path, undefined, `cannot read as ${format}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * The bars of a freqtrade OHLCV file (`BTC_USDT-1h.feather`, `.json`, `.json.gz`, `.parquet`;
 * `gateways/freqtrade-files.ts`), a chunk at a time, as `readBarBatches` gives a CSV's: the
 * same bar checks, window, time-order and future checks, `onBadRow` and {@link SourceError}s. A
 * bad row is named by its 0-based position among the file's rows (`row 17`, no line: a JSON file
 * is one line) and its values. A JSON file is parsed as it is read; a Feather or Parquet file is read whole.
 */
export async function* readFreqtradeBarBatches(path: string, opts: Instrument & ReadWindow & Readonly<{ tf: Timeframe }>): AsyncGenerator<Bar[]> {
  const format = freqtradeFormatOf(path);
  if (format === undefined) throw new SourceError(path, undefined, 'not a freqtrade OHLCV file (.feather, .json, .json.gz or .parquet)');
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const limit = opts.limit ?? Infinity;
  const notAfter = opts.notAfter ?? Infinity;
  if (limit <= 0) return;
  const parser = barParser({ venue: opts.venue, symbol: opts.symbol, tf: opts.tf })(HEADER, path);
  const row = cellRow();
  let prevTs = -Infinity;
  let yielded = 0;
  let out: Bar[] = [];
  // r: the row's 0-based position in the file; i: in the chunk the reader gave.
  let r = -1;
  rows: for await (const cells of loadCells(path, format)) {
    for (let i = 0; i < cells.rows; i++) {
      r++;
      row.at(cells, i);
      try {
        if (r === 0) {
          const first = cells.cell(i, 0);
          const unit = typeof first === 'number' ? wrongTimeUnitOf(first) : undefined;
          if (unit !== undefined) throw new SourceError(path, undefined, `row 0: date ${first} is in epoch ${unit.unit}, expected epoch milliseconds: the file is refused whole; convert its date column (${unit.convert}) and read it again`);
        }
        const ts = row.epochMs(0, 'date');
        if (ts > notAfter) throw new RowProblem(`date ${ts} (${new Date(ts).toISOString()}) is in the future (after ${new Date(notAfter).toISOString()})`);
        if (ts <= prevTs) throw new RowProblem(`date ${ts} ${ts === prevTs ? 'repeats the previous row' : `is before the previous row's ${prevTs}`}; rows must be in time order`);
        if (ts < from) {
          prevTs = ts;
          continue;
        }
        if (ts >= to) break rows;
        out.push(parser.build(row, ts));
        prevTs = ts;
      } catch (e) {
        if (!(e instanceof RowProblem)) throw e;
        const error = new SourceError(path, undefined, `row ${r}: ${e.message}`, { row: rowText(cells, i) });
        if (opts.onBadRow === undefined) {
          if (out.length > 0) yield out;
          throw error;
        }
        opts.onBadRow(error);
        continue;
      }
      if (++yielded >= limit) break rows;
      if (out.length >= BATCH) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

/** A row as the file holds it, for a bad row's report: `[1704067200000,42283.58,…]`. */
function rowText(cells: Cells, r: number): string {
  const values: string[] = [];
  for (let c = 0; c < COLUMNS.length; c++) {
    try {
      values.push(describe(cells.cell(r, c)));
    } catch {
      return 'not a row';
    }
  }
  return `[${values.join(',')}]`;
}

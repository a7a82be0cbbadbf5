import { Dictionary, Int32, makeVector, Table, tableFromIPC, tableToIPC, TimestampMillisecond, Utf8, vectorFromArray } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { Compression, readParquet, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from 'parquet-wasm';

/** Columns every dataset file has besides the features. */
export const RESERVED_COLUMNS = ['ts', 'label_end_ts', 'symbol', 'label', 'forward_return'] as const;

/** Rows of one split in plain arrays (what a file holds, and what reading it gives back). */
export type DatasetRows = Readonly<{
  features: readonly string[];
  /** Event time, ms. */
  start: Float64Array;
  /** Label known, ms. */
  end: Float64Array;
  symbol: readonly string[];
  /** Row-major `rows × features.length`. */
  x: Float64Array;
  label: Int32Array;
  forwardReturn: Float64Array;
}>;

/**
 * The Arrow table of a split: `ts` and `label_end_ts` as UTC millisecond timestamps, `symbol`
 * dictionary-encoded, one float64 column per feature (NaN = missing; values are stored exactly,
 * unstandardised), `label` int32, `forward_return` float64.
 */
export function toArrowTable(r: DatasetRows): Table {
  const rows = r.label.length;
  const clash = r.features.find((f) => (RESERVED_COLUMNS as readonly string[]).includes(f));
  if (clash !== undefined) throw new RangeError(`feature name ${JSON.stringify(clash)} clashes with a reserved column (${RESERVED_COLUMNS.join(', ')})`);
  const cols = r.features.length;
  const columns: Record<string, Vector> = {
    ts: vectorFromArray(Array.from(r.start), new TimestampMillisecond('UTC')),
    label_end_ts: vectorFromArray(Array.from(r.end), new TimestampMillisecond('UTC')),
    // An explicit dictionary id: arrow-js otherwise numbers dictionaries from a process-wide
    // counter, and the same rows would give different bytes on a second export.
    symbol: vectorFromArray(r.symbol as string[], new Dictionary(new Utf8(), new Int32(), 0)),
  };
  r.features.forEach((f, j) => {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = r.x[i * cols + j] as number;
    columns[f] = makeVector(col);
  });
  columns['label'] = makeVector(Int32Array.from(r.label));
  columns['forward_return'] = makeVector(Float64Array.from(r.forwardReturn));
  return new Table(columns);
}

const numbers = (t: Table, name: string): Float64Array => {
  const v = t.getChild(name);
  if (v === null) throw new RangeError(`dataset file has no column ${JSON.stringify(name)}`);
  const a = v.toArray() as ArrayLike<number | bigint>;
  return Float64Array.from({ length: a.length }, (_, i) => Number(a[i]));
};

/** Reads a dataset table back into {@link DatasetRows}; `features` are the columns that are not reserved, in file order. */
export function fromArrowTable(t: Table): DatasetRows {
  const features = t.schema.fields.map((f) => f.name).filter((n) => !(RESERVED_COLUMNS as readonly string[]).includes(n));
  for (const f of features) if (String(t.schema.fields.find((x) => x.name === f)?.type) !== 'Float64') throw new RangeError(`feature column ${f} is not float64`);
  const rows = t.numRows;
  const cols = features.length;
  const x = new Float64Array(rows * cols);
  features.forEach((f, j) => {
    const col = numbers(t, f);
    for (let i = 0; i < rows; i++) x[i * cols + j] = col[i] as number;
  });
  const symbol = t.getChild('symbol');
  if (symbol === null) throw new RangeError('dataset file has no column "symbol"');
  return {
    features,
    start: numbers(t, 'ts'),
    end: numbers(t, 'label_end_ts'),
    symbol: Array.from({ length: rows }, (_, i) => String(symbol.get(i))),
    x,
    label: Int32Array.from(numbers(t, 'label')),
    forwardReturn: numbers(t, 'forward_return'),
  };
}

/** Arrow IPC file format (`.arrow`, random access; what `pyarrow.ipc.open_file` and `polars.read_ipc` read). */
export const toArrowIpc = (t: Table): Uint8Array => tableToIPC(t, 'file');
export const fromArrowIpc = (bytes: Uint8Array): Table => tableFromIPC(bytes);

/** Parquet with zstd compression, written by parquet-wasm from the Arrow table. */
export function toParquet(t: Table): Uint8Array {
  const wasm = WasmTable.fromIPCStream(tableToIPC(t, 'stream'));
  const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(wasm, props);
}

export function fromParquet(bytes: Uint8Array): Table {
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}

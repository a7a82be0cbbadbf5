import type { DatasetRows } from '../../models/datasets/arrow-codec.js';
import type { SampleSource, SampleTable } from '../../models/datasets/sample-source.js';

export const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * 50 rows: BTC/USDT and PEPE/USDT at hours 0…24, labels known 2 h later. Feature `a` is 0 but
 * 100 at BTC hour 5 (row 10) — mean 2, std 14, the one |z| > 6 outlier; feature `b` is the row
 * number with NaN at rows 3, 4, 5 and +∞ at row 7 (4 missing). BTC labels are hour % 3
 * (9 down, 8 flat, 8 up), PEPE always flat.
 */
export function handTable(): SampleTable {
  const rows = 50;
  const x = new Float64Array(rows * 2);
  const label = new Int32Array(rows);
  const start = new Float64Array(rows);
  const symbolIndex = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const hour = Math.floor(i / 2);
    const sym = i % 2;
    start[i] = T0 + hour * HOUR;
    symbolIndex[i] = sym;
    label[i] = sym === 0 ? hour % 3 : 1;
    x[i * 2] = i === 10 ? 100 : 0;
    x[i * 2 + 1] = [3, 4, 5].includes(i) ? NaN : i === 7 ? Infinity : i;
  }
  return {
    features: ['a', 'b'],
    transforms: ['raw', 'raw'],
    rows,
    x,
    label,
    forwardReturn: Float64Array.from(label, (l) => 0.01 * (l - 1)),
    start,
    end: start.map((s) => s + 2 * HOUR),
    symbolIndex,
    symbols: ['BTC/USDT', 'PEPE/USDT'],
  };
}

export const handSource = (t: SampleTable = handTable()): SampleSource => ({
  kind: 'hand',
  description: { kind: 'hand', rows: t.rows },
  labelSpec: { column: 'label', classes: ['down', 'flat', 'up'], rule: 'by hand', params: { horizonBars: 2 } },
  read: () => Promise.resolve(t),
});

/** All rows of a table as DatasetRows, in table order. */
export function allRows(t: SampleTable): DatasetRows {
  return { features: t.features, start: t.start, end: t.end, symbol: Array.from(t.symbolIndex, (i) => t.symbols[i] as string), x: t.x, label: t.label, forwardReturn: t.forwardReturn };
}

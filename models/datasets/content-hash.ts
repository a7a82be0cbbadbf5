import { createHash } from 'node:crypto';
import type { DatasetRows } from './arrow-codec.js';

/**
 * sha256 over the rows in their canonical order (the order the files hold: split, then time,
 * then symbol): column names, then per row the split name, event time, label end, symbol, every
 * feature as IEEE-754 float64 (little-endian; any NaN as the one canonical NaN, -0 kept), the
 * label and the forward return. Independent of file encodings and library versions, so equal
 * rows always hash equally.
 */
export function contentHash(parts: readonly Readonly<{ split: string; rows: DatasetRows }>[]): string {
  const h = createHash('sha256');
  const enc = new TextEncoder();
  const features = parts[0]?.rows.features ?? [];
  h.update(enc.encode(`${JSON.stringify(['ts', 'label_end_ts', 'symbol', ...features, 'label', 'forward_return'])}\n`));
  const cols = features.length;
  const buf = new ArrayBuffer(8 * (cols + 3) + 4);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  const f64 = (off: number, v: number): void => {
    if (Number.isNaN(v)) {
      view.setUint32(off, 0, true);
      view.setUint32(off + 4, 0x7ff80000, true);
    } else view.setFloat64(off, v, true);
  };
  for (const { split, rows } of parts) {
    if (rows.features.length !== cols) throw new RangeError('every split must have the same features');
    const tag = enc.encode(`${split}\0`);
    for (let i = 0; i < rows.label.length; i++) {
      h.update(tag);
      h.update(enc.encode(`${rows.symbol[i]}\0`));
      f64(0, rows.start[i] as number);
      f64(8, rows.end[i] as number);
      for (let j = 0; j < cols; j++) f64(16 + 8 * j, rows.x[i * cols + j] as number);
      f64(16 + 8 * cols, rows.forwardReturn[i] as number);
      view.setInt32(24 + 8 * cols, rows.label[i] as number, true);
      h.update(bytes);
    }
  }
  return h.digest('hex');
}

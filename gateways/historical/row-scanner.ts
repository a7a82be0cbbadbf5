import { parseDecimal } from './decimal.js';

/**
 * Reads the fields of one CSV line in place. `split(',')` allocates an array and a string per
 * field on every row; the scanner records field offsets in a reused buffer and slices only what
 * it converts, which is what makes the readers fast. Bad values throw {@link RowProblem}
 * (a reason, no location); `readRows` turns that into a `SourceError` with file and line.
 *
 * Numbers are parsed as `Number` would (plain decimals by {@link parseDecimal}, which gives the
 * same double without a substring; everything else by `Number` itself), never `parseFloat`
 * (which ignores trailing garbage), and must be finite; an empty or blank field is refused
 * rather than read as `Number('') === 0`.
 */
export class RowProblem extends Error {
  override readonly name = 'RowProblem';
}

/** Epoch milliseconds fall in [1973, 5138]: seconds or microseconds land outside and are refused. */
const MIN_EPOCH_MS = 1e11;
const MAX_EPOCH_MS = 1e14;

export type Row = Readonly<{
  /** The field's text, possibly empty; undefined past the last field. */
  raw(i: number): string | undefined;
  /** Non-empty text. */
  text(i: number, name: string): string;
  finite(i: number, name: string): number;
  positive(i: number, name: string): number;
  nonNegative(i: number, name: string): number;
  /** An integer in epoch milliseconds (not seconds, not microseconds). */
  epochMs(i: number, name: string): number;
}>;

export type RowScanner = Row &
  Readonly<{
    /** Points the scanner at `line`; returns its number of fields. */
    load(line: string): number;
  }>;

/** A scanner for rows of up to `maxFields` fields (more are counted, not recorded). */
export function createRowScanner(maxFields: number): RowScanner {
  const starts = new Int32Array(maxFields);
  const ends = new Int32Array(maxFields);
  let line = '';
  let width = 0;

  const raw = (i: number): string | undefined => (i < width && i < maxFields ? line.slice(starts[i], ends[i]) : undefined);

  const finite = (i: number, name: string): number => {
    if (i < width && i < maxFields) {
      const a = starts[i]!;
      const b = ends[i]!;
      const fast = parseDecimal(line, a, b);
      if (!Number.isNaN(fast)) return fast;
      if (b > a) {
        const s = line.slice(a, b);
        const n = Number(s);
        if (Number.isFinite(n) && (n !== 0 || s.trim().length > 0)) return n;
      }
    }
    throw new RowProblem(`${name} ${JSON.stringify(raw(i) ?? '')} is not a finite number`);
  };

  return {
    ...rowOf(raw, finite),
    load(text: string): number {
      line = text;
      let n = 0;
      let start = 0;
      for (;;) {
        const comma = text.indexOf(',', start);
        if (n < maxFields) {
          starts[n] = start;
          ends[n] = comma === -1 ? text.length : comma;
        }
        n++;
        if (comma === -1) break;
        start = comma + 1;
      }
      width = n;
      return n;
    },
  };
}

/**
 * The {@link Row} whose fields are read by `raw` and `finite`: the checks built on those two (and
 * their words) are the same whatever the row is read from, a CSV line here or a freqtrade file's
 * cells (bars-freqtrade.ts).
 */
export function rowOf(raw: Row['raw'], finite: Row['finite']): Row {
  return {
    raw,
    text(i, name) {
      const s = raw(i);
      if (s === undefined || s.length === 0) throw new RowProblem(`${name} is empty`);
      return s;
    },
    finite,
    positive(i, name) {
      const n = finite(i, name);
      if (!(n > 0)) throw new RowProblem(`${name} ${n} must be > 0`);
      return n;
    },
    nonNegative(i, name) {
      const n = finite(i, name);
      if (!(n >= 0)) throw new RowProblem(`${name} ${n} must be >= 0`);
      return n;
    },
    epochMs(i, name) {
      const n = finite(i, name);
      if (!Number.isSafeInteger(n) || n < MIN_EPOCH_MS || n > MAX_EPOCH_MS) {
        throw new RowProblem(`${name} ${raw(i) ?? ''} is not epoch milliseconds (an integer between 1e11 and 1e14)`);
      }
      return n;
    },
  };
}

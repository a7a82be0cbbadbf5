import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeFeaturesCsv } from '../../gateways/features-csv.js';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { column, parseCsv } from './csv.js';
import { ORACLE_COLUMNS, REL_TOL, oracleCell, readOracle, relErr } from './oracle.js';

/** A writable that keeps what it is given, and says "full" every few writes to exercise drain. */
const collector = (): { stream: Writable; text: () => string } => {
  const parts: string[] = [];
  let n = 0;
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk.toString('utf8'));
      if (++n % 2 === 0) setImmediate(done);
      else done();
    },
  });
  return { stream, text: () => parts.join('') };
};

async function* asAsync<T>(xs: readonly T[]): AsyncIterable<T> {
  for (const x of xs) yield x;
}

describe('writeFeaturesCsv', () => {
  const oracle = readOracle('BTC_USDT_1h_2022', 300);

  it('writes the header and one row per bar matching the oracle, nulls as empty cells', async () => {
    const out = collector();
    const rows = await writeFeaturesCsv(oracle.bars, out.stream);
    expect(rows).toBe(300);
    const csv = parseCsv(out.text());
    expect(csv.header).toEqual(['timestamp', ...FeatureEngine.names]);
    expect(csv.rows.length).toBe(300);
    csv.rows.forEach((r) => expect(r.length).toBe(csv.header.length));
    const tsCol = column(csv, 'timestamp');
    csv.rows.forEach((r, i) => expect(Number(r[tsCol])).toBe(oracle.bars[i]!.ts));
    for (const col of ORACLE_COLUMNS) {
      const mine = column(csv, col);
      const theirs = column(oracle.csv, col);
      csv.rows.forEach((r, i) => {
        const want = oracleCell(oracle.csv.rows[i]![theirs]!);
        const cell = r[mine]!;
        if (want === null) {
          expect(cell, `${col} row ${i}`).toBe('');
        } else {
          expect(cell, `${col} row ${i}`).not.toBe('');
          expect(relErr(Number(cell), want), `${col} row ${i}`).toBeLessThanOrEqual(REL_TOL);
        }
      });
    }
  });

  it('writes exactly what the engine computed (String(n) round-trips) from an async source', async () => {
    const { bars } = readOracle('PEPE_USDT_1h_2024-01_2024-09', 1300); // several write chunks
    const out = collector();
    expect(await writeFeaturesCsv(asAsync(bars), out.stream)).toBe(1300);
    const csv = parseCsv(out.text());
    expect(csv.rows.length).toBe(1300);
    const engine = new FeatureEngine();
    const row = new Float64Array(FeatureEngine.names.length);
    bars.forEach((bar, i) => {
      engine.onBar(bar);
      engine.fill(row);
      const cells = csv.rows[i]!.slice(1);
      cells.forEach((c, k) => (c === '' ? expect(row[k]).toBeNaN() : expect(Number(c)).toBe(row[k])));
    });
  });

  it('writes only the header for no bars', async () => {
    const out = collector();
    expect(await writeFeaturesCsv([], out.stream)).toBe(0);
    expect(out.text()).toBe(`timestamp,${FeatureEngine.names.join(',')}\n`);
  });
});

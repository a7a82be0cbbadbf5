import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { column } from './csv.js';
import { ORACLE_COLUMNS, ORACLE_FILES, REL_TOL, oracleCell, readOracle, relErr } from './oracle.js';

/**
 * Every indicator column of every oracle file (TA-Lib / explicit-formula values over real
 * Binance data), every row: null exactly where the oracle cell is empty, and within 1e-9
 * relative elsewhere.
 */
describe.each(ORACLE_FILES)('FeatureEngine vs oracle %s', (name) => {
  const oracle = readOracle(name);
  const engine = new FeatureEngine();
  const computed = oracle.bars.map((bar) => {
    engine.onBar(bar);
    return engine.values();
  });

  it('repairs only the known truncated-exponent cells (PEPE MACD e-10 written as e-1)', () => {
    const truncated = oracle.csv.rows.flatMap((row, i) =>
      ORACLE_COLUMNS.filter((col) => (row[column(oracle.csv, col)] ?? '').endsWith('e-1')).map((col) => `${col}@${i}`),
    );
    expect(truncated.length).toBe(name.startsWith('PEPE') ? 520 : 0);
    expect(truncated.every((c) => c.startsWith('macd_'))).toBe(true);
  });

  it('has the oracle row count', () => {
    expect(computed.length).toBe(oracle.csv.rows.length);
    expect(computed.length).toBeGreaterThan(2000);
  });

  it.each(ORACLE_COLUMNS)('%s matches on every row', (col) => {
    const ci = column(oracle.csv, col);
    const problems: string[] = [];
    let compared = 0;
    let maxRel = 0;
    oracle.csv.rows.forEach((row, i) => {
      const want = oracleCell(row[ci] ?? '');
      const got = computed[i]![col];
      if (want === null || got === null) {
        if (want !== got) problems.push(`row ${i}: got ${String(got)}, oracle ${String(want)}`);
        return;
      }
      compared++;
      const e = relErr(got, want);
      if (e > maxRel) maxRel = e;
      if (!(e <= REL_TOL)) problems.push(`row ${i}: got ${got}, oracle ${want} (rel ${e.toExponential(2)})`);
    });
    expect(problems.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(oracle.csv.rows.length - 250);
    expect(maxRel).toBeLessThanOrEqual(REL_TOL);
  });
});

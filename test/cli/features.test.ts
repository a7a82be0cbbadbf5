import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sextant-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (text: string): { header: string[]; rows: string[][] } => {
  const [head = '', ...lines] = text.trim().split('\n');
  return { header: head.split(','), rows: lines.map((l) => l.split(',')) };
};

describe('sextant features --bars', () => {
  it('writes every oracle column, equal to the TA-Lib oracle to 1e-9 relative once warmed up', () => {
    const oracle = resolve(testDataDir(), 'oracle/real_data/BTC_USDT_5m_2024-08-01_10_indicators.csv');
    const out = join(dir, 'features.csv');
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'features', '--bars', oracle, '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = parse(readFileSync(out, 'utf8'));
    const want = parse(readFileSync(oracle, 'utf8'));
    expect(got.rows.length).toBe(want.rows.length);
    expect(got.header[0]).toBe('timestamp');
    const oracleColumns = want.header.slice(7);
    let compared = 0;
    for (const col of oracleColumns) {
      const gi = got.header.indexOf(col);
      const wi = want.header.indexOf(col);
      expect(gi, `column ${col}`).toBeGreaterThan(0);
      for (let i = 0; i < want.rows.length; i++) {
        const w = want.rows[i]?.[wi] ?? '';
        const g = got.rows[i]?.[gi] ?? '';
        expect(got.rows[i]?.[0]).toBe(want.rows[i]?.[0]);
        if (w === '') {
          expect(g, `${col} row ${i} warms up`).toBe('');
          continue;
        }
        const a = Number(g);
        const b = Number(w);
        expect(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${col} row ${i}: ${g} vs ${w}`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40_000);
  });
});

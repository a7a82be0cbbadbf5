import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireDataDir } from '../../gateways/data-dir.js';
import { parseDecimal } from '../../gateways/historical/decimal.js';

/** What the readers must return for a field: parseDecimal when it answers, else Number. */
const viaFastPath = (s: string): number => {
  const n = parseDecimal(s, 0, s.length);
  return Number.isNaN(n) ? Number(s) : n;
};

const csvFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? csvFiles(join(dir, e.name)) : e.name.endsWith('.csv') ? [join(dir, e.name)] : []));

describe('parseDecimal', () => {
  it('equals Number on every numeric cell of every shared CSV file', () => {
    const data = requireDataDir();
    const files = [...csvFiles(join(data, 'ohlcv')), ...csvFiles(join(data, 'ticks')), ...csvFiles(join(data, 'oracle'))];
    expect(files.length).toBeGreaterThan(20);
    let cells = 0;
    let fast = 0;
    const mismatches: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      let start = text.indexOf('\n') + 1;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        let a = start;
        while (a <= end) {
          let b = text.indexOf(',', a);
          if (b < 0 || b > end) b = end;
          const want = Number(text.slice(a, b));
          if (b > a && Number.isFinite(want)) {
            cells++;
            const got = parseDecimal(text, a, b);
            if (!Number.isNaN(got)) {
              fast++;
              if (!Object.is(got, want) && mismatches.length < 10) mismatches.push(`${f}: ${text.slice(a, b)} → ${got} ≠ ${want}`);
            }
          }
          a = b + 1;
        }
        start = end + 1;
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBeGreaterThan(5_000_000);
    // The fast path really is the common path (the oracle files' 17-digit indicators fall back).
    expect(fast / cells).toBeGreaterThan(0.9);
  });

  it('equals Number on generated decimals, exponents and edge cases, or declines (NaN)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => String(rand(10))).join('');
    const samples: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const int = digits(rand(12));
      const frac = rand(3) === 0 ? '' : `.${digits(rand(16))}`;
      const exp = rand(4) === 0 ? `e${['', '-', '+'][rand(3)]}${rand(40)}` : '';
      samples.push(`${rand(5) === 0 ? '-' : ''}${int}${frac}${exp}`);
    }
    samples.push('0', '-0', '0.0', '.5', '5.', '007', '0.1', '0.2', '0.3', '9007199254740993', '123456789012345', '1234567890123456', '1e22', '1e23', '1e-22', '1e-23', '4.686619636e+10', '6e-07');
    const mismatches = samples.filter((s) => !Object.is(viaFastPath(s), Number(s)));
    expect(mismatches).toEqual([]);
  });

  it('declines what Number reads differently or refuses, so the caller decides', () => {
    for (const s of ['', '-', '.', '-.', '1e', '1e+', '+1', ' 1', '1 ', '0x10', '1_000', '1.2.3', 'Infinity', 'NaN', '1,5', '1e1000']) {
      expect(parseDecimal(s, 0, s.length), s).toBeNaN();
    }
  });

  it('parses a field inside a line without slicing it', () => {
    const line = '1700000000000,x,42.5,1e-3';
    expect(parseDecimal(line, 0, 13)).toBe(1_700_000_000_000);
    expect(parseDecimal(line, 16, 20)).toBe(42.5);
    expect(parseDecimal(line, 21, 25)).toBe(0.001);
  });
});

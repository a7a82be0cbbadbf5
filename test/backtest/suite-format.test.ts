import { describe, expect, it } from 'vitest';
import { formatSuite } from '../../cli/commands/backtest-suite.js';
import type { SuiteRow } from '../../cli/commands/backtest-suite.js';

const row = (over: Partial<SuiteRow>): SuiteRow => ({ window: '2022 bear year', from: '2022-01-01T00:00:00.000Z', to: '2023-01-01T00:00:00.000Z', symbols: ['BTC/USDT'], skipped: [], report: null, error: null, warnings: [], ...over });

describe('the regime suite table', () => {
  it('names each symbol a window left out, and why, under that window', () => {
    const text = formatSuite([
      row({ skipped: [{ symbol: 'PEPE/USDT', why: 'no data at the start of the window' }] }),
      row({ window: '2024-08 crash month', symbols: ['BTC/USDT', 'PEPE/USDT'] }),
    ]);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('2022 bear year'));
    expect(lines[at + 1]?.trim()).toBe('left out: PEPE/USDT (no data at the start of the window)');
    expect(lines[at + 2]).toMatch(/^2024-08 crash month/);
    expect(text.match(/left out/g)).toHaveLength(1);
  });

  it('says when no symbol had data for a window', () => {
    const text = formatSuite([row({ symbols: [], skipped: [{ symbol: 'PEPE/USDT', why: 'no 1h file' }], error: 'no symbol has data for this window' })]);
    expect(text).toContain('error: no symbol has data for this window');
    expect(text).toContain('left out: PEPE/USDT (no 1h file)');
  });

  // The table named no dates (only index.html did), and not where the reports went.
  it('gives each window its dates, from → to with to excluded, on its row', () => {
    const text = formatSuite([row({}), row({ window: '2024-08 crash month', from: '2024-08-01T00:00:00.000Z', to: '2024-09-01T00:00:00.000Z' }), row({ window: 'intraday', from: '2024-08-05T06:30:00.000Z', to: '2024-08-06T00:00:00.000Z' })]);
    const lines = text.split('\n');
    expect(lines[0]).toContain('from → to, to excluded');
    expect(lines[1]).toMatch(/^window\s+from → to\s+symbols/);
    expect(lines.find((l) => l.startsWith('2022 bear year'))).toContain('2022-01-01 → 2023-01-01');
    expect(lines.find((l) => l.startsWith('2024-08 crash month'))).toContain('2024-08-01 → 2024-09-01');
    expect(lines.find((l) => l.startsWith('intraday'))).toContain('2024-08-05 06:30 → 2024-08-06');
    // The columns stay aligned: every row's symbols start where the header's do.
    const at = (lines[1] as string).indexOf('symbols');
    for (const l of lines.slice(2)) expect(l.slice(at, at + 8), l).toBe('BTC/USDT');
  });

  it("ends with where the reports are: the suite folder's index.html and suite.json", () => {
    const text = formatSuite([row({})], 'out/regimes');
    expect(text.split('\n').at(-1)).toBe('reports: out/regimes/index.html (every window, linking its window-<n>/report.html) and out/regimes/suite.json');
    expect(formatSuite([row({})])).not.toContain('index.html');
  });
});

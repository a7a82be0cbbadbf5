import { describe, expect, it } from 'vitest';
import { formatSuite } from '../../cli/commands/backtest-suite.js';
import type { SuiteRow } from '../../cli/commands/backtest-suite.js';

const row = (over: Partial<SuiteRow>): SuiteRow => ({ window: '2022 bear year', from: '2022-01-01T00:00:00.000Z', to: '2023-01-01T00:00:00.000Z', symbols: ['BTC/USDT'], skipped: [], report: null, error: null, ...over });

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
});

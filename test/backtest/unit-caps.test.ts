import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { refusedSymbolWarnings } from '../../cli/commands/backtest-warnings.js';
import { testDataDir } from '../support/data-dir.js';

describe('risk unit caps in a backtest of a cheap coin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-caps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const window = { data: testDataDir(), symbols: ['DOGE/USDT'], timeframe: '1h', from: Date.UTC(2023, 9, 1), to: Date.UTC(2023, 11, 1), capital: 10_000 };

  it('trades DOGE with the shipped limits (before, its 1-unit default caps refused every order), and warns of nothing', async () => {
    const r = await runBacktest({ ...window, report: join(dir, 'shipped') });
    const bySymbol = r.counts['bySymbol'] as Record<string, { suggestions: number; orders: number; rejects: number }>;
    expect(bySymbol['DOGE/USDT']?.orders).toBeGreaterThan(0);
    expect(r.counts['fills']).toBeGreaterThan(0);
    expect(r.warnings).toEqual([]);
  });

  it('says so, in report.json and report.html, when risk refused every order of a symbol', async () => {
    const configFile = join(dir, 'one-doge.yaml');
    writeFileSync(configFile, 'risk:\n  limits:\n    maxOrderQty: { perSymbol: { DOGE/USDT: 1 } }\n');
    const r = await runBacktest({ ...window, configFile, report: join(dir, 'capped') });
    expect(r.counts['fills']).toBe(0);
    expect(r.counts['rejects']).toBeGreaterThan(0);
    // Rejects by reason (the decision path's count, as the demo summary prints it): every one was the cap.
    expect(r.counts['rejectsByReason']).toEqual({ MAX_ORDER_QTY: r.counts['rejects'] });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^DOGE\/USDT: risk refused all \d+ of its suggestions, so it never traded; check risk\.limits for it \(maxOrderQty 1, maxPositionQty 100000 in base units\)$/);
    const json = JSON.parse(readFileSync(join(dir, 'capped', 'report.json'), 'utf8')) as { warnings: string[] };
    expect(json.warnings).toEqual(r.warnings);
    expect(readFileSync(join(dir, 'capped', 'report.html'), 'utf8')).toContain('<ul class="warnings"><li>DOGE/USDT: risk refused all');
  });
});

describe('refusedSymbolWarnings', () => {
  const limits = { maxOrderQty: { default: 1, perSymbol: { 'BTC/USDT': 0.1 } }, maxPositionQty: { default: 1, perSymbol: {} } };

  it('names each symbol with suggestions and no order, in symbol order, and whether its caps are the defaults', () => {
    const w = refusedSymbolWarnings(
      {
        'XRP/USDT': { suggestions: 3, orders: 0, rejects: 3 },
        'BTC/USDT': { suggestions: 2, orders: 0, rejects: 2 },
        'ETH/USDT': { suggestions: 5, orders: 1, rejects: 4 },
        'SOL/USDT': { suggestions: 0, orders: 0, rejects: 0 },
      },
      limits,
    );
    expect(w).toEqual([
      'BTC/USDT: risk refused all 2 of its suggestions, so it never traded; check risk.limits for it (maxOrderQty 0.1, maxPositionQty 1 in base units)',
      'XRP/USDT: risk refused all 3 of its suggestions, so it never traded; check risk.limits for it (maxOrderQty 1, maxPositionQty 1 in base units, the defaults: it has no caps of its own)',
    ]);
  });
});

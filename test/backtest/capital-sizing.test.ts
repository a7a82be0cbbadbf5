import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { capitalWarning } from '../../cli/commands/backtest-warnings.js';
import { testDataDir } from '../support/data-dir.js';

describe('a capital that does not fit the positions (strategy.positionSize sizes them, not --capital) is warned of', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-capital-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const quote = { positionSize: 1000, sizing: 'quote' } as const;

  it('names the capital, the size per asset and the settings to change; nothing from 1 % to 100 % of the capital', () => {
    expect(capitalWarning(0.01, quote, { 'BTC/USDT': 60_000 })).toBe(
      'capital 0.01 cannot carry the positions: strategy.positionSize is 1,000 in quote currency per asset (sizing: quote), 1,000 for 1 asset, 100,000× the capital; ' +
        'the returns are on the capital, so they (a loss of a few units can ruin it) and the comparison with buy and hold, which invests the capital, mean nothing: ' +
        'give --capital (or `capital:` in the spec) near 1,000, set strategy.positionSize in a --config file near 0.01 (sizing: quote; the capital over the assets), or size on the equity (sizing: equity, positionSize a fraction of it per asset, at most 1)',
    );
    expect(capitalWarning(1e15, quote, { 'BTC/USDT': 60_000, 'ETH/USDT': 3_000 })).toMatch(
      /^capital 1,000,000,000,000,000 is hardly used: strategy\.positionSize is 1,000 in quote currency per asset \(sizing: quote\), 2,000 for 2 assets, 2\.0e-10 % of the capital; .* near 500,000,000,000,000 \(sizing: quote/,
    );
    // Ten assets of 1,000 on 10,000 (the whole capital), one on 10,000, one on 100,000 (1 %): fine.
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`C${i}/USDT`, 1]));
    expect(capitalWarning(10_000, quote, ten)).toBeUndefined();
    expect(capitalWarning(10_000, quote, { 'BTC/USDT': 60_000 })).toBeUndefined();
    expect(capitalWarning(100_000, quote, { 'BTC/USDT': 60_000 })).toBeUndefined();
    // Eleven of 1,000 on 10,000: more than the capital.
    expect(capitalWarning(10_000, quote, { ...ten, 'X/USDT': 1 })).toMatch(/^capital 10,000 cannot carry the positions: .* 11,000 for 11 assets, 1\.1× the capital/);
    // Base units are valued at the window's first close: 1 BTC at 60,000 on 10,000 of capital.
    expect(capitalWarning(10_000, { positionSize: 1, sizing: 'base' }, { 'BTC/USDT': 60_000 })).toMatch(
      /^capital 10,000 cannot carry the positions: strategy\.positionSize is 1 base units per asset \(sizing: base\), about 60,000 for 1 asset at the window's first closes, 6× the capital/,
    );
    expect(capitalWarning(100_000, { positionSize: 1, sizing: 'base' }, { 'BTC/USDT': 60_000 })).toBeUndefined();
  });

  it('in report.json and report.html of a run with --capital 0.01 and 1e15; none with the default 10,000', async () => {
    const run = (capital: number, name: string) =>
      runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 3), capital, report: join(dir, name) });
    const tiny = await run(0.01, 'tiny');
    expect(tiny.warnings[0]).toMatch(/^capital 0\.01 cannot carry the positions: strategy\.positionSize is 1,000 in quote currency per asset/);
    expect(JSON.parse(readFileSync(join(dir, 'tiny', 'report.json'), 'utf8')).warnings[0]).toBe(tiny.warnings[0]);
    expect(readFileSync(join(dir, 'tiny', 'report.html'), 'utf8')).toContain('capital 0.01 cannot carry the positions');
    const huge = await run(1e15, 'huge');
    expect(huge.warnings[0]).toMatch(/^capital 1,000,000,000,000,000 is hardly used: .*strategy\.positionSize in a --config file/);
    const plain = await run(10_000, 'plain');
    expect(plain.warnings.filter((w) => w.startsWith('capital '))).toEqual([]);
  }, 120_000);
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { backtestCurrency } from '../../cli/commands/backtest-currency.js';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { runRetrainVsFrozen } from '../../cli/commands/experiment.js';

/**
 * A backtest's report counts its money (capital, curves, the trades' P&L, fees, the baselines) in
 * one currency, the account's: symbols quoted in another are refused before anything is read or
 * trained, with or without risk.conversions (the report converts none of its figures).
 */
describe('the currency of a backtest report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-currency-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const converting = join(dir, 'usdt-account.yaml');
  writeFileSync(converting, 'risk:\n  accountCurrency: USDT\n  conversions: { BTC: BTC/USDT, USDC: 1 }\n');
  // Bars of BTC/USDT and ETH/BTC in ../shared/data's layout, crafted: never read, the run is refused first.
  const data = join(dir, 'ohlcv', 'binance_spot_1h');
  mkdirSync(data, { recursive: true });
  const t0 = Date.UTC(2024, 0, 1);
  const rows = (close: number): string => `timestamp,datetime,open,high,low,close,volume\n${Array.from({ length: 48 }, (_, i) => `${t0 + i * 3_600_000},${new Date(t0 + i * 3_600_000).toISOString()},${close},${close},${close},${close},5`).join('\n')}\n`;
  writeFileSync(join(data, 'BTC_USDT_1h_2024-01_2024-01.csv'), rows(40_000));
  writeFileSync(join(data, 'ETH_BTC_1h_2024-01_2024-01.csv'), rows(0.05));
  const run = { data: dir, timeframe: '1h', capital: 10_000, report: join(dir, 'report'), from: t0 + 24 * 3_600_000, to: t0 + 48 * 3_600_000 };

  it('is the account currency: the symbols\' one quote currency, or risk.accountCurrency when they are quoted in it', () => {
    expect(backtestCurrency({}, ['BTC/USDT', 'ETH/USDT'])).toBe('USDT');
    expect(backtestCurrency({ accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT' } }, ['BTC/USDT', 'SOL/USDT'])).toBe('USDT');
  });

  it('refuses symbols in several quote currencies without an account currency, naming them', () => {
    expect(() => backtestCurrency({}, ['BTC/USDT', 'ETH/BTC'])).toThrow(
      "symbols quoted in BTC (ETH/BTC), USDT (BTC/USDT): a backtest's report counts the buy-and-hold and grid baselines, the trades' P&L and the fees in one currency and converts none of them",
    );
  });

  it('refuses a symbol quoted in another currency than the account currency, even with a conversion', () => {
    const cfg = { accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT', USDC: 1 } };
    expect(() => backtestCurrency(cfg, ['BTC/USDT', 'ETH/BTC'])).toThrow('symbols quoted in BTC (ETH/BTC), not the account currency USDT (risk.accountCurrency)');
    // Every symbol in USDC with USDC: 1: the curve would be in USDT, the trades and the baselines in USDC.
    expect(() => backtestCurrency(cfg, ['BTC/USDC', 'ETH/USDC'])).toThrow('symbols quoted in USDC (BTC/USDC, ETH/USDC), not the account currency USDT');
  });

  it('runBacktest refuses BTC/USDT with ETH/BTC before it reads a bar or trains (report.json would add BTC to USDT)', async () => {
    await expect(runBacktest({ ...run, configFile: converting, symbols: ['BTC/USDT', 'ETH/BTC'] })).rejects.toThrow('symbols quoted in BTC (ETH/BTC), not the account currency USDT');
    // Without conversions the risk actor refused it too, but only at its start, after training.
    await expect(runBacktest({ ...run, symbols: ['BTC/USDT', 'ETH/BTC'] })).rejects.toThrow('symbols quoted in BTC (ETH/BTC), USDT (BTC/USDT)');
  });

  it('a walk-forward refuses them the same way, before its first segment trains', async () => {
    const wf = { ...run, report: join(dir, 'wf'), stepMs: 12 * 3_600_000, embargoMs: 0 };
    await expect(runWalkForward({ ...wf, configFile: converting, symbols: ['BTC/USDT', 'ETH/BTC'] })).rejects.toThrow('symbols quoted in BTC (ETH/BTC), not the account currency USDT');
  });

  it('sextant experiment refuses them the same way, before its first window trains (its arms\' metrics and baselines are in one currency too)', async () => {
    const ex = { data: dir, timeframe: '1h', reportDir: join(dir, 'experiment') };
    await expect(runRetrainVsFrozen({ ...ex, configFile: converting, symbols: ['BTC/USDT', 'ETH/BTC'] })).rejects.toThrow('symbols quoted in BTC (ETH/BTC), not the account currency USDT');
    await expect(runRetrainVsFrozen({ ...ex, symbols: ['BTC/USDT', 'ETH/BTC'] })).rejects.toThrow('symbols quoted in BTC (ETH/BTC), USDT (BTC/USDT)');
  });
});

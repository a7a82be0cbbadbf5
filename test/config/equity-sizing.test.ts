import { describe, expect, it } from 'vitest';
import { backtestConfig } from '../../cli/commands/backtest.js';
import { capitalWarning } from '../../cli/commands/backtest-warnings.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { checkSizing, equityFractionWarning } from '../../config/sizing.js';
import { checkIntentRule, intentOf, UP } from '../../models/inference/prediction-math.js';

const load = (strategy: Record<string, unknown>, risk: Record<string, unknown> = {}) => loadConfig({ env: {}, overrides: { strategy, risk } });

describe('strategy.sizing: equity in the configuration', () => {
  it('takes positionSize as a fraction of the equity in (0, 1], and refuses one above 1 (leverage) at load', () => {
    expect(load({ sizing: 'equity', positionSize: 0.25 }, { capital: 10_000 }).strategy).toMatchObject({ sizing: 'equity', positionSize: 0.25 });
    expect(load({ sizing: 'equity', positionSize: 1 }).strategy.positionSize).toBe(1);
    expect(() => load({ sizing: 'equity', positionSize: 1000 })).toThrow(ConfigError);
    expect(() => load({ sizing: 'equity', positionSize: 1.5 })).toThrow(/strategy\.positionSize: under sizing: equity, a fraction of the equity per asset in \(0, 1\], got 1\.5/);
    expect(() => load({ sizing: 'equity', positionSize: 0 })).toThrow(/strategy\.positionSize/);
    // The other sizings keep their units: 1,000 of quote currency is fine.
    expect(load({ sizing: 'quote', positionSize: 1000 }).strategy.positionSize).toBe(1000);
  });

  it('the strategy core leaves the target as the fraction (the decision path sizes it) and refuses one above 1', () => {
    const rule = { minConfidence: 0.5, maxIntervalWidth: 1, positionSize: 0.25, sizing: 'equity' as const, allowShort: true };
    expect(intentOf(UP, 0.9, 0.1, rule, 40_000)).toEqual({ target: 0.25 });
    expect(() => checkIntentRule({ ...rule, positionSize: 2 })).toThrow(/under sizing: equity, positionSize is a fraction of the equity in \(0, 1\], got 2/);
  });

  it('takes risk.capital as a positive amount', () => {
    expect(load({}, { capital: 5_000 }).risk.capital).toBe(5_000);
    expect(load({}).risk.capital).toBeUndefined();
    expect(() => load({}, { capital: -1 })).toThrow(/risk\.capital/);
    expect(() => load({}, { capital: 0 })).toThrow(/risk\.capital/);
  });

  it('refuses to decide under sizing: equity without risk.capital, with a clear error', () => {
    const cfg = load({ sizing: 'equity', positionSize: 0.5 });
    expect(() => checkSizing(cfg)).toThrow(ConfigError);
    expect(() => checkSizing(cfg)).toThrow(/strategy\.sizing: equity .* risk\.capital \(the account capital in quote currency\) is not set/);
    expect(() => checkSizing({ ...cfg, risk: { ...cfg.risk, capital: 1_000 } })).not.toThrow();
    expect(() => checkSizing(load({}))).not.toThrow(); // quote, no capital: as before
  });

  it('a backtest sets risk.capital from --capital', () => {
    const base = load({ sizing: 'equity', positionSize: 0.5 });
    const cfg = backtestConfig(base, ['BTC/USDT'], { capital: 25_000 });
    expect(cfg.risk.capital).toBe(25_000);
    expect(() => checkSizing(cfg)).not.toThrow();
    expect(backtestConfig(base, ['BTC/USDT']).risk.capital).toBeUndefined();
  });

  it('warns when the fractions summed over the assets exceed 1, and only then', () => {
    const eq = (positionSize: number) => ({ positionSize, sizing: 'equity' as const });
    expect(equityFractionWarning(eq(0.3), ['A/USDT', 'B/USDT', 'C/USDT', 'D/USDT'])).toBe(
      'strategy.positionSize is 0.3 of the equity per asset (sizing: equity), 1.2 for 4 assets: held together the positions can take 1.2× the equity; set strategy.positionSize at most 0.25 (1 over the assets) to stay within it',
    );
    expect(equityFractionWarning(eq(0.25), ['A/USDT', 'B/USDT', 'C/USDT', 'D/USDT'])).toBeUndefined();
    expect(equityFractionWarning(eq(1), ['A/USDT'])).toBeUndefined();
    expect(equityFractionWarning({ positionSize: 1000, sizing: 'quote' }, ['A/USDT', 'B/USDT'])).toBeUndefined();
    // The backtest's capital warning: none under equity whatever the capital, but the summed one.
    expect(capitalWarning(0.01, eq(0.5), { 'BTC/USDT': 60_000 })).toBeUndefined();
    expect(capitalWarning(1e15, eq(0.5), { 'BTC/USDT': 60_000, 'ETH/USDT': 3_000 })).toBeUndefined();
    expect(capitalWarning(10_000, eq(0.6), { 'BTC/USDT': 60_000, 'ETH/USDT': 3_000 })).toMatch(/^strategy\.positionSize is 0\.6 of the equity per asset \(sizing: equity\), 1\.2 for 2 assets/);
  });
});

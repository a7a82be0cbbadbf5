import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.js';

const assets = (...symbols: string[]) => symbols.map((symbol) => ({ venue: 'binance', symbol }));
const load = (risk: Record<string, unknown>, symbols: string[]) => loadConfig({ env: {}, overrides: { assets: assets(...symbols), risk } });

describe('risk.accountCurrency and risk.conversions in the configuration', () => {
  it('refuses an allowlist in two quote currencies with no account currency at load, saying what to add', () => {
    const risk = { limits: { allowlist: ['BTC/USDT', 'ETH/BTC'] } };
    expect(() => load(risk, ['BTC/USDT', 'ETH/BTC'])).toThrow(ConfigError);
    expect(() => load(risk, ['BTC/USDT', 'ETH/BTC'])).toThrow(
      /risk\.accountCurrency: the symbols traded are quoted in BTC \(ETH\/BTC\) and USDT \(BTC\/USDT\).*set risk\.accountCurrency \(e\.g\. USDT\) and risk\.conversions for the others \(e\.g\. BTC: BTC\/USDT/,
    );
  });

  it('refuses a quote currency with no conversion into the account currency, naming the key to add', () => {
    expect(() => load({ accountCurrency: 'USDT', limits: { allowlist: ['BTC/USDT', 'ETH/USDC'] } }, ['BTC/USDT', 'ETH/USDC'])).toThrow(
      /risk\.conversions: ETH\/USDC is quoted in USDC, not the account currency USDT: add risk\.conversions\.USDC: USDC\/USDT .* or a fixed rate/,
    );
  });

  it('refuses a conversion symbol the engine does not track (not among assets)', () => {
    expect(() => load({ accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT' }, limits: { allowlist: ['ETH/BTC'] } }, ['ETH/BTC'])).toThrow(
      /risk\.conversions\.BTC: BTC\/USDT is not among assets/,
    );
  });

  it('takes an account currency with a tracked mid and a fixed rate', () => {
    const cfg = load({ accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT', USDC: 1 }, limits: { allowlist: ['BTC/USDT', 'ETH/BTC', 'ETH/USDC'] } }, ['BTC/USDT', 'ETH/BTC', 'ETH/USDC']);
    expect(cfg.risk).toMatchObject({ accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT', USDC: 1 } });
  });

  it('leaves the shipped single-currency configuration as it was: no account currency to set', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.risk.accountCurrency).toBeUndefined();
    expect(cfg.risk.conversions).toBeUndefined();
  });
});

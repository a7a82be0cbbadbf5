import { ConfigError } from './load.js';
import type { Config } from './schema.js';

/**
 * Refuses `strategy.sizing: equity` without `risk.capital`: the risk book's PnL starts at 0, so
 * without the account's capital there is no equity to take a fraction of. Checked where the
 * engine starts deciding, not at load: a backtest sets the capital from `--capital` after it.
 */
export function checkSizing(cfg: Pick<Config, 'strategy' | 'risk'>): void {
  if (cfg.strategy.sizing === 'equity' && cfg.risk.capital === undefined) {
    throw new ConfigError(
      'strategy.sizing: equity sizes each position as a fraction of the account equity, and risk.capital (the account capital in quote currency) is not set: set risk.capital, or use sizing: quote or base',
    );
  }
}

/**
 * Under `sizing: equity`, the assets' fractions summed: above 1, the positions together can take
 * more than the equity (each is capped at its own fraction, not the account at 1). Undefined when
 * they fit, or under another sizing. `symbols`: the assets the strategy may hold (allowlisted).
 */
export function equityFractionWarning(s: Readonly<{ positionSize: number; sizing: string }>, symbols: readonly string[]): string | undefined {
  if (s.sizing !== 'equity') return undefined;
  const n = new Set(symbols).size;
  const total = s.positionSize * n;
  if (!(total > 1)) return undefined;
  const fmt = (x: number): string => x.toLocaleString('en-US', { maximumSignificantDigits: 6 });
  return `strategy.positionSize is ${fmt(s.positionSize)} of the equity per asset (sizing: equity), ${fmt(total)} for ${n} assets: held together the positions can take ${fmt(total)}× the equity; set strategy.positionSize at most ${fmt(1 / n)} (1 over the assets) to stay within it`;
}

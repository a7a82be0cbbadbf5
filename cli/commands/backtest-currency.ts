import { InvalidArgumentError } from 'commander';
import { accountCurrencyOf } from '../../models/risk/account-currency.js';
import type { CurrencyConfig } from '../../models/risk/account-currency.js';
import { quoteOf } from '../../streams/messages/symbol-quote.js';

/**
 * The currency a backtest's (or a walk-forward's) report counts its money in — `capital`, the
 * equity curves, the money metrics, the trades' and open positions' P&L — checked before anything
 * is trained: the account currency (`risk.accountCurrency`, else the symbols' one quote currency;
 * null only for symbols with no quote currency at all).
 *
 * Refused (InvalidArgumentError), before training: symbols in several quote currencies (without
 * `risk.accountCurrency` the risk actor refused them too, but only at its start, after the model
 * was trained), and a symbol quoted in another currency than the account's even with
 * `risk.conversions`. The strategy's curve would be in the account currency (the risk book
 * converts), but its trades' P&L, fees and traded notional, and the buy-and-hold and grid
 * baselines (one portfolio's cash and positions, a share of the capital spent per symbol at its
 * own price) stay in each symbol's quote currency: with BTC/USDT and ETH/BTC on 10,000 USDT, buy
 * and hold spent its 5,000 USDT share of ETH/BTC as 5,000 BTC, and the report added BTC to USDT.
 */
export function backtestCurrency(risk: CurrencyConfig, symbols: readonly string[]): string | null {
  const byQuote = new Map<string, string[]>();
  for (const s of symbols) {
    const q = quoteOf(s);
    if (q !== null) byQuote.set(q, [...(byQuote.get(q) ?? []), s]);
  }
  const account = accountCurrencyOf(risk, symbols);
  // No account currency: symbols in several quote currencies (or one with none, counted as it is).
  const quoted = [...byQuote].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const others = account === null ? (byQuote.size > 1 ? quoted : []) : quoted.filter(([q]) => q !== account);
  if (others.length === 0) return account;
  const listed = others.map(([q, s]) => `${q} (${s.join(', ')})`).join(', ');
  const why = `a backtest's report counts the buy-and-hold and grid baselines, the trades' P&L and the fees in one currency and converts none of them, so every symbol must be quoted in it`;
  throw new InvalidArgumentError(
    account === null
      ? `symbols quoted in ${listed}: ${why}; backtest the symbols of each quote currency on their own`
      : `symbols quoted in ${listed}, not the account currency ${account}${risk.accountCurrency !== undefined ? ' (risk.accountCurrency)' : ''}: ${why}; backtest them on their own, with a config whose risk.accountCurrency is theirs (or left out)`,
  );
}

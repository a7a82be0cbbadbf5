import { z } from 'zod';
import { assetSymbol } from '../../streams/messages/common.js';
import { quoteOf } from '../../streams/messages/symbol-quote.js';

/** A currency code as it appears in a ccxt unified symbol (`USDT`, `BTC`). */
export const currencyCode = z.string().regex(/^[A-Z0-9]+$/, 'a currency code like USDT');

/**
 * How amounts in one quote currency become amounts in the account currency: the mid of a symbol
 * the engine tracks (`BTC/USDT` for BTC in a USDT account, or `BTC/USDT` for USDT in a BTC account:
 * its inverse), or a fixed rate (`1` for a stablecoin pegged to the account currency).
 */
export const ConversionSchema = z.union([assetSymbol, z.number().finite().positive()]);

/**
 * The currency the risk limits' money amounts (PnL, equity, drawdown, notionals, exposure) are in
 * (config `risk.accountCurrency`, `risk.conversions`). `accountCurrency` left out: the one quote
 * currency of the allowlist (an allowlist in two is refused); set, every other quote currency
 * traded needs a conversion.
 */
export type CurrencyConfig = Readonly<{ accountCurrency?: string | undefined; conversions?: Readonly<Record<string, string | number>> | undefined }>;

/** One symbol's quote amounts into the account currency: × 1, × a fixed rate, or at a tracked mid (÷ it when inverted). */
export type Conversion =
  | Readonly<{ kind: 'same' }>
  | Readonly<{ kind: 'fixed'; rate: number }>
  | Readonly<{ kind: 'mid'; currency: string; symbol: string; invert: boolean }>
  | Readonly<{ kind: 'none'; currency: string }>;

const SAME: Conversion = { kind: 'same' };

const baseOf = (symbol: string): string => symbol.slice(0, symbol.indexOf('/'));

/**
 * The conversion of each symbol's quote currency into the account currency, from the
 * configuration alone (the allowlist is checked against it by {@link currencyProblem}). Without
 * an account currency every amount is taken as it is (the allowlist then has one quote currency);
 * a symbol with no quote (not BASE/QUOTE) likewise.
 */
export function conversionFor(cfg: CurrencyConfig | undefined, symbol: string): Conversion {
  const account = cfg?.accountCurrency;
  const quote = quoteOf(symbol);
  if (account === undefined || quote === null || quote === account) return SAME;
  const c = cfg?.conversions?.[quote];
  if (c === undefined) return { kind: 'none', currency: quote };
  if (typeof c === 'number') return { kind: 'fixed', rate: c };
  return { kind: 'mid', currency: quote, symbol: c, invert: baseOf(c) === account };
}

/** Whether any conversion is not × 1: the risk book then converts (and otherwise sums as it always did). */
export const converts = (cfg: CurrencyConfig | undefined): boolean => cfg?.accountCurrency !== undefined && Object.keys(cfg.conversions ?? {}).length > 0;

/** The account currency: the configured one, else the one quote currency of `symbols` (null: none, several, or a symbol without one). */
export function accountCurrencyOf(cfg: CurrencyConfig | undefined, symbols: readonly string[]): string | null {
  if (cfg?.accountCurrency !== undefined) return cfg.accountCurrency;
  const quotes = new Set(symbols.map(quoteOf));
  const [only] = quotes;
  return quotes.size === 1 && only !== undefined ? only : null;
}

/**
 * What is wrong with trading `symbols` (the allowlist, and every symbol the book holds) under this
 * currency configuration, in words that say what to add; undefined when nothing is. Summed as one
 * number, a loss of 0.05 BTC on ETH/BTC counted as 0.05 against a maxDailyLoss of 1,000 USDT.
 */
export function currencyProblem(cfg: CurrencyConfig | undefined, symbols: readonly string[]): string | undefined {
  const account = cfg?.accountCurrency;
  const conversions = cfg?.conversions ?? {};
  if (account === undefined) {
    if (Object.keys(conversions).length > 0) return `risk.conversions (${Object.keys(conversions).join(', ')}) need risk.accountCurrency, the currency they convert into`;
    const byQuote = new Map<string, string[]>();
    for (const s of symbols) {
      const q = quoteOf(s);
      if (q !== null) byQuote.set(q, [...(byQuote.get(q) ?? []), s]);
    }
    if (byQuote.size <= 1) return undefined;
    const quotes = [...byQuote.keys()].sort();
    const listed = quotes.map((q) => `${q} (${(byQuote.get(q) ?? []).join(', ')})`);
    const first = quotes.includes('USDT') ? 'USDT' : (quotes[0] as string);
    const other = quotes.find((q) => q !== first) as string;
    return (
      `the symbols traded are quoted in ${listed.slice(0, -1).join(', ')} and ${listed.at(-1) ?? ''}: the risk limits' amounts (maxDailyLoss, maxDrawdown, the notional and exposure caps) ` +
      `need one account currency to be counted in: set risk.accountCurrency (e.g. ${first}) and risk.conversions for the others ` +
      `(e.g. ${other}: ${other}/${first}, valued at that symbol's mid, which the engine must track as an asset; or a fixed rate such as USDC: 1 for a stablecoin)`
    );
  }
  for (const [currency, c] of Object.entries(conversions)) {
    if (typeof c === 'number') continue;
    const pair = [baseOf(c), quoteOf(c)];
    if (!(pair[0] === currency && pair[1] === account) && !(pair[0] === account && pair[1] === currency)) {
      return `risk.conversions.${currency}: ${c} does not convert ${currency} into ${account}: name ${currency}/${account} (or ${account}/${currency}), or a fixed rate`;
    }
  }
  for (const s of symbols) {
    const c = conversionFor(cfg, s);
    if (c.kind === 'none') {
      return `${s} is quoted in ${c.currency}, not the account currency ${account}: add risk.conversions.${c.currency}: ${c.currency}/${account} (valued at that symbol's mid, which the engine must track as an asset) or a fixed rate (such as ${c.currency}: 1 for a stablecoin)`;
    }
  }
  return undefined;
}

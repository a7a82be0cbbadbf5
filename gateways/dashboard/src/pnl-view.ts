import { fmt } from './number-format.js';
import type { Pnl } from './topics.js';
import { quoteOf, withUnit } from './units.js';

/** One figure of the PnL summary: `breached` when past its limit (drawn red). */
export type PnlItem = Readonly<{ label: string; id: string; text: string; tone: 'neg' | 'pos' | ''; breached: boolean }>;

const byAccount = (accounts: readonly Pnl[]): Pnl[] => [...accounts].sort((a, b) => a.account.localeCompare(b.account));

type Amounts = Readonly<{ realised: number; unrealised: number; equity: number }>;

/**
 * An account's amounts by currency: its breakdown (`byCurrency`) where it trades in several, else
 * its amounts in its currency (null: none named, a publisher older than the breakdown).
 */
const amountsOf = (a: Pnl): readonly (Amounts & Readonly<{ currency: string | null }>)[] => a.byCurrency ?? [{ currency: a.currency ?? null, realised: a.realised, unrealised: a.unrealised, equity: a.equity }];

/**
 * An amount summed over the accounts, per currency: amounts in different currencies are not added
 * (a USDT and a EUR account's equity summed was one number in neither, nor were an account's USDT
 * and USDC positions). One sum per currency, by name, then the amounts of no known currency (an
 * account that names none and sends no breakdown) without a unit; joined with ' · '. With one
 * currency, one sum with its unit, as before. Toned (red, green) only when every sum has that sign.
 */
function sumByCurrency(accounts: readonly Pnl[], f: (x: Amounts) => number): Readonly<{ text: string; tone: PnlItem['tone'] }> {
  const sums = new Map<string | null, number>();
  for (const x of accounts.flatMap(amountsOf)) sums.set(x.currency, (sums.get(x.currency) ?? 0) + f(x));
  if (sums.size === 0) sums.set(null, 0);
  const order = [...sums.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  const tones = new Set(order.map((c) => fmt.tone(sums.get(c) as number)));
  const [tone] = tones;
  return { text: order.map((c) => withUnit(fmt.money(sums.get(c) as number), c)).join(' · '), tone: tones.size === 1 && tone !== undefined ? tone : '' };
}

/**
 * What the PnL summary shows (no DOM: unit-tested under Node): realised, unrealised and equity
 * summed over the accounts, then each account's PnL today and drawdown with the limits the risk
 * actor holds them to. The feed sent daily and drawdown and the page dropped them: after a
 * drawdown halt the page showed no drawdown while `ctl status` said 1506.64 against 1500.
 * Amounts carry the accounts' currency when the feed names one; sums are per currency.
 */
export function pnlItems(given: readonly Pnl[]): PnlItem[] {
  const accounts = byAccount(given);
  const money = (label: string, id: string, f: (x: Amounts) => number): PnlItem => ({ label, id, ...sumByCurrency(accounts, f), breached: false });
  const out = [money('Realised', 'pnl-realised', (x) => x.realised), money('Unrealised', 'pnl-unrealised', (x) => x.unrealised), money('Equity', 'pnl-equity', (x) => x.equity)];
  const whose = (a: Pnl): string => (accounts.length > 1 ? ` (${a.account})` : '');
  const key = (a: Pnl): string => (accounts.length > 1 ? `-${a.account}` : '');
  for (const a of accounts) {
    const limit = (v: number | undefined): string => (v === undefined ? '' : ` (limit ${fmt.money(v)})`);
    if (a.daily !== undefined) {
      const max = a.limits?.maxDailyLoss;
      out.push({ label: `Today${whose(a)}`, id: `pnl-daily${key(a)}`, text: withUnit(fmt.money(a.daily), a.currency) + limit(max === undefined ? undefined : -max), tone: fmt.tone(a.daily), breached: max !== undefined && -a.daily > max });
    }
    if (a.drawdown !== undefined) {
      const max = a.limits?.maxDrawdown;
      const breached = max !== undefined && a.drawdown > max;
      out.push({ label: `Drawdown${whose(a)}`, id: `pnl-drawdown${key(a)}`, text: withUnit(fmt.money(a.drawdown), a.currency) + limit(max), tone: breached ? 'neg' : '', breached });
    }
  }
  return out;
}

/** The open positions' rows: account, symbol, venue, qty, avg price, mark price, unrealised PnL; prices and PnL in the symbol's quote currency. */
export function positionRows(accounts: readonly Pnl[]): string[][] {
  return byAccount(accounts).flatMap((a) =>
    a.positions
      .filter((q) => q.qty !== 0)
      .map((q) => {
        const unit = quoteOf(q.symbol);
        return [
          a.account,
          q.symbol,
          q.venue ?? '',
          fmt.num(q.qty),
          withUnit(fmt.num(q.avgPrice), unit),
          q.price === null || q.price === undefined ? '–' : withUnit(fmt.num(q.price), unit),
          q.unrealised === undefined ? '–' : withUnit(fmt.money(q.unrealised), unit),
        ];
      }),
  );
}

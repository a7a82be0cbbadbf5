import { assetSymbol } from '../streams/messages/common.js';
import { SubjectError, subjectsFor, venueToken } from '../streams/subjects.js';
import { ClientValidationError } from './errors.js';

/**
 * Narrows a subscription to one strategy, venue and/or symbol; what is left out matches all.
 * `symbol` is one the engine trades, as its config names it (`BTC/USDT`, `BTC/USDT:USDT`).
 */
export type SignalFilter = Readonly<{ strategy?: string; venue?: string; symbol?: string }>;

/**
 * A symbol that is not in the engine's form (`btc/usdt`, `BTCUSDT`) names no asset the engine
 * trades, so a filter on it would match nothing, silently, for ever: refused instead.
 */
function checkSymbol(symbol: string | undefined): void {
  if (symbol === undefined || assetSymbol.safeParse(symbol).success) return;
  throw new ClientValidationError(`symbol ${JSON.stringify(symbol)} can never match: the engine's symbols are ccxt unified symbols, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT"${upperCaseHint(symbol)}`);
}

/** ` (did you mean "BTC/USDT"?)` for `btc/usdt`: the symbol upper-cased where that makes it one of the engine's form, else ''. */
export function upperCaseHint(symbol: string): string {
  const upper = symbol.toUpperCase();
  return upper !== symbol && assetSymbol.safeParse(upper).success ? ` (did you mean ${JSON.stringify(upper)}?)` : '';
}

/** One subject token as the engine's names are (config `strategy.name`, a dead-letter source): 1-64 letters, digits, _ and -. */
export const NAME_TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A strategy that is not one subject token can name no strategy of the engine: `dir.mlp` would
 * make a filter of other tokens that matches nothing, silently, and `a b` or `` one the server
 * refuses with an error naming neither the strategy nor the fix. Refused here instead.
 */
function checkStrategy(strategy: string | undefined): void {
  if (strategy === undefined || NAME_TOKEN_RE.test(strategy)) return;
  throw new ClientValidationError(`strategy ${JSON.stringify(strategy)} can never match: the engine's strategy names (config strategy.name) are 1-64 letters, digits, _ and -`);
}

/**
 * A filter subject built by the engine's subject builder, with `*` for each token left out.
 * The builder validates tokens (it refuses `*`), so the subject is built with a placeholder and
 * its trailing strategy/venue/symbol tokens are replaced afterwards: the layout stays in one module.
 */
function wildcardTail(subject: string, given: readonly (string | undefined)[]): string {
  const tokens = subject.split('.');
  const start = tokens.length - given.length;
  given.forEach((g, i) => {
    if (g === undefined) tokens[start + i] = '*';
  });
  return tokens.join('.');
}

/**
 * A venue no subject token can carry (`my_venue`, ``) threw the subject builder's SubjectError,
 * unlike a bad strategy or symbol: refused as they are, with ClientValidationError.
 */
function checkVenue(venue: string | undefined): void {
  if (venue === undefined) return;
  try {
    if (typeof venue !== 'string') throw new SubjectError(`venue ${JSON.stringify(venue)} is not a string`);
    venueToken(venue);
  } catch (e) {
    if (e instanceof SubjectError) throw new ClientValidationError(`${e.message}: the engine's venues are ccxt exchange ids like "binance" (letters, digits and -)`, { cause: e });
    throw e;
  }
}

const PLACEHOLDER = 'x';

/** `sx.exec.order.<strategy|*>.<venue|*>.<sym|*>`; throws {@link ClientValidationError} for a strategy or symbol that can never match. */
export function orderFilter(prefix: string, f: SignalFilter): string {
  checkStrategy(f.strategy);
  checkVenue(f.venue);
  checkSymbol(f.symbol);
  const s = subjectsFor(prefix).order(f.strategy ?? PLACEHOLDER, f.venue ?? PLACEHOLDER, f.symbol ?? PLACEHOLDER);
  return wildcardTail(s, [f.strategy, f.venue, f.symbol]);
}

/** `sx.pred.<strategy|*>.<venue|*>.<sym|*>`; throws {@link ClientValidationError} for a strategy or symbol that can never match. */
export function predictionFilter(prefix: string, f: SignalFilter): string {
  checkStrategy(f.strategy);
  checkVenue(f.venue);
  checkSymbol(f.symbol);
  const s = subjectsFor(prefix).prediction(f.strategy ?? PLACEHOLDER, f.venue ?? PLACEHOLDER, f.symbol ?? PLACEHOLDER);
  return wildcardTail(s, [f.strategy, f.venue, f.symbol]);
}

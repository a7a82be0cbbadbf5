import { assetSymbol } from '../../streams/messages/common.js';
import type { Subjects } from '../../streams/subjects.js';
import { symbolToken, tokenToSymbol } from '../../streams/subjects.js';
import type { Topic } from './protocol.js';

/**
 * Where a bus message lands in the feed. `key` is what clients see (a symbol, `account`, a model
 * name); `venue`, on the symbol topics, the venue token of its subject, sent beside the key: a
 * symbol's key is the same on every venue (the symbol a client subscribed with), so BTC/USDT from
 * binance and from kraken are told apart by (`venue`, `key`). `slot` is what the hub keeps the
 * latest message of and what a slow client's backlog is conflated by. A slot is at least as fine
 * as its key (a symbol's bar and its last trade are two slots of key `BTC/USDT`), and names the
 * venue of its subject (BTC/USDT on two venues is two assets), so a snapshot holds the newest
 * message of each kind of each venue (of `orders`, the last `ordersSnapshotDepth` of each slot:
 * events, see `EVENT_TOPICS`).
 */
export type Route = Readonly<{ topic: Topic; key: string; slot: string; venue?: string; symbolToken?: string; idKind?: IdKind }>;

/** Messages whose `id` is deterministic (a republish keeps it): the hub relays each id once. */
export type IdKind = 'order' | 'reject' | 'fill' | 'expiry' | 'prediction';

/** Topics fed from the bus; `pnl`, `actors` and `feeds` come from the engine through `publishLocal`. */
export const BUS_TOPICS = ['md', 'features', 'predictions', 'orders', 'risk', 'models'] as const satisfies readonly Topic[];

/** Every model registry event, `sx.model.<name>.<event>`: the `models` topic, and what seeds its snapshot at start. */
export const modelEventsPattern = (subjects: Subjects): string => `${subjects.prefix}.model.>`;

/** Every order the risk actor approved, `sx.exec.order.>`: what the feed checks fills against (`booked-fills.ts`). */
export const approvedOrdersPattern = (subjects: Subjects): string => `${subjects.prefix}.exec.order.>`;

/** The subject patterns the hub subscribes to. */
export function busPatterns(subjects: Subjects): readonly string[] {
  const p = subjects.prefix;
  return [`${p}.md.>`, `${p}.feat.>`, `${p}.pred.>`, approvedOrdersPattern(subjects), `${p}.exec.reject.>`, subjects.allFills(), subjects.allExpired(), subjects.riskState(), modelEventsPattern(subjects)];
}

const symbolRoute = (topic: Topic, venue: string | undefined, token: string | undefined, slotPrefix: string): Route | undefined => {
  if (venue === undefined || token === undefined) return undefined;
  try {
    const symbol = tokenToSymbol(token);
    return { topic, key: symbol, slot: `${slotPrefix}${symbol}`, venue, symbolToken: token };
  } catch {
    return undefined;
  }
};

const withIdKind = (r: Route | undefined, idKind: IdKind): Route | undefined => (r === undefined ? undefined : { ...r, idKind });

/** Routes a bus subject to its topic, key and slot; undefined for subjects the feed does not carry. */
export function routeSubject(subjects: Subjects, subject: string): Route | undefined {
  const t = subject.split('.');
  if (t[0] !== subjects.prefix) return undefined;
  switch (t[1]) {
    case 'md': {
      // sx.md.<venue>.<sym>.<kind>[.<tf>]
      if (t.length < 5 || t.length > 6) return undefined;
      return symbolRoute('md', t[2], t[3], `${t.slice(4).join('.')}|${t[2]}|`);
    }
    case 'feat':
      // sx.feat.<venue>.<sym>
      return t.length === 4 ? symbolRoute('features', t[2], t[3], `${t[2]}|`) : undefined;
    case 'pred':
      // sx.pred.<strategy>.<venue>.<sym>
      return t.length === 5 ? withIdKind(symbolRoute('predictions', t[3], t[4], `${t[2]}|${t[3]}|`), 'prediction') : undefined;
    case 'exec':
      // sx.exec.{order,reject}.<strategy>.<venue>.<sym>, sx.exec.{fill,expired}.<venue>.<sym>
      if ((t[2] === 'order' || t[2] === 'reject') && t.length === 6) return withIdKind(symbolRoute('orders', t[4], t[5], `${t[2]}|${t[3]}|${t[4]}|`), t[2]);
      if (t[2] === 'fill' && t.length === 5) return withIdKind(symbolRoute('orders', t[3], t[4], `fill|${t[3]}|`), 'fill');
      if (t[2] === 'expired' && t.length === 5) return withIdKind(symbolRoute('orders', t[3], t[4], `expired|${t[3]}|`), 'expiry');
      return undefined;
    case 'risk':
      return subject === subjects.riskState() ? { topic: 'risk', key: 'account', slot: 'account' } : undefined;
    case 'model':
      // sx.model.<name>.<event>: the latest event of each kind per model name (see modelSlot)
      return t.length === 4 && t[2] !== undefined && t[3] !== undefined ? { topic: 'models', key: t[2], slot: `${t[2]}|${t[3]}` } : undefined;
    default:
      return undefined;
  }
}

/**
 * Registry events that move or remove an alias: the newest one of each alias says what it serves
 * (a removal: nothing; it takes the alias's slot, so the promotion it undid leaves the snapshot).
 */
const ALIAS_MOVES: ReadonlySet<string> = new Set(['promoted', 'rolled_back', 'alias_removed']);

/**
 * The slot of a `models` message: the alias for one that moves an alias (`name@production`),
 * else its route's (the latest event of each kind of the model). One slot per model name kept
 * only its newest event, so a `registered` candidate pushed the production alias out of every
 * later subscriber's snapshot, and a promotion to `staging` the one to `production`.
 */
export function modelSlot(route: Route, data: object): string {
  if (route.topic !== 'models' || !('event' in data) || typeof data.event !== 'string' || !ALIAS_MOVES.has(data.event)) return route.slot;
  return 'alias' in data && typeof data.alias === 'string' ? `${route.key}@${data.alias}` : route.slot;
}

/** A client's symbol, `BTC/USDT` or its subject token `BTC-USDT`, as the token; undefined when it cannot be one. */
export function clientSymbolToken(symbol: string): string | undefined {
  try {
    return symbolToken(symbol);
  } catch {
    return undefined;
  }
}

/** Whether a token names a symbol of the engine's form, the only ones feed subjects carry. */
const canMatch = (token: string | undefined): boolean => token !== undefined && assetSymbol.safeParse(tokenToSymbol(token)).success;

/**
 * Why a client's symbol (given as `given`, read as `token`) can never match, or undefined when it
 * can. The feed carries the engine's assets only, upper case ccxt unified symbols (`BTC/USDT`,
 * `BTC/USDT:USDT`): `btc/usdt` or `BTCUSDT` make tokens all the same, and a subscription to them
 * would follow nothing, silently.
 */
export function unmatchableSymbol(given: string, token: string): string | undefined {
  if (canMatch(token)) return undefined;
  const upper = given.toUpperCase();
  const hint = upper !== given && canMatch(clientSymbolToken(upper)) ? ` (did you mean ${JSON.stringify(upper)}?)` : '';
  return `${JSON.stringify(given)} can never match: symbols are upper case ccxt unified symbols like "BTC/USDT" (or their subject token "BTC-USDT")${hint}`;
}

/** What an entry of a client's `symbols` matches: `token` on every venue, or, given with a venue, on that venue only. */
export type SymbolFilter = Readonly<{ token: string; venue?: string }>;

/** The key a filter entry is held and matched by: the symbol token, `venue:token` for one venue (a token has no ':'). */
export const filterKey = (token: string, venue?: string): string => (venue === undefined ? token : `${venue}:${token}`);

/** A venue as subjects carry it: one token, no '_' (`venueToken`). */
const VENUE_RE = /^[A-Za-z0-9-]+$/;

/**
 * A client's `symbols` entry: a symbol (`BTC/USDT`, `BTC/USDT:USDT` or the token `BTC-USDT`),
 * matched on every venue, or `venue:symbol` (`kraken:BTC/USDT`, `kraken:BTC-USDT_USDT`), matched on
 * that venue only; or why it can never match. A venue has no '/', so in `BTC/USDT:USDT` the part
 * before the first ':' is no venue: it is a symbol with its settle currency. With `venues` (the
 * configured assets' venues, the only ones the feed carries), a venue not among them is refused,
 * naming them: `krakn:BTC/USDT` (a typo) followed nothing, silently.
 */
export function parseSymbolEntry(given: string, venues?: ReadonlySet<string>): SymbolFilter | string {
  const colon = given.indexOf(':');
  const venue = colon < 0 || given.slice(0, colon).includes('/') ? undefined : given.slice(0, colon);
  const symbol = venue === undefined ? given : given.slice(colon + 1);
  if (venue !== undefined && !VENUE_RE.test(venue))
    return `${JSON.stringify(given)} can never match: a venue is a subject token of letters, digits and '-' ("kraken:BTC/USDT"), got ${JSON.stringify(venue)}`;
  if (venue !== undefined && venues !== undefined && !venues.has(venue))
    return `${JSON.stringify(given)} can never match: no configured asset is on venue ${JSON.stringify(venue)} (the venues: ${[...venues].sort().map((v) => JSON.stringify(v)).join(', ')})`;
  const token = clientSymbolToken(symbol);
  if (token === undefined) return `${JSON.stringify(given)} is not a symbol${venue === undefined ? '' : ` on a venue ("kraken:BTC/USDT")`}`;
  const never = unmatchableSymbol(symbol, token);
  if (never !== undefined) return venue === undefined ? never : `${JSON.stringify(given)}: ${never}`;
  return venue === undefined ? { token } : { token, venue };
}

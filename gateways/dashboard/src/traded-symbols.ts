import { assetKey } from './asset-key.js';
import type { ConnectionState } from './feed-client.js';

/**
 * The venue and symbol an asset actor's id names (`asset:<venue>:<symbol>`, `actors/asset-actor.ts`
 * assetActorKey; venue null for `asset:<symbol>`, from a publisher that leaves the venue out);
 * undefined for another actor. A venue is one token and has no '/', a symbol always does
 * (`BTC/USDT:USDT`).
 */
export function assetOf(id: string): Readonly<{ venue: string | null; symbol: string }> | undefined {
  if (!id.startsWith('asset:')) return undefined;
  const rest = id.slice('asset:'.length);
  const cut = rest.indexOf(':');
  if ((cut < 0 ? rest : rest.slice(0, cut)).includes('/')) return { venue: null, symbol: rest };
  return cut < 0 || cut === rest.length - 1 ? undefined : { venue: rest.slice(0, cut), symbol: rest.slice(cut + 1) };
}

/** The symbol an asset actor's id names ({@link assetOf}); undefined for another actor. */
export const assetSymbol = (id: string): string | undefined => assetOf(id)?.symbol;

/**
 * Which assets (venue and symbol) the engine trades now, as the asset actors the feed's `actors`
 * topic names on the current connection (snapshot and deltas): a restarted engine that trades
 * other symbols, or a symbol on one venue of two only, no longer names the old ones, and their
 * charts are marked. An id without a venue names its symbol on every venue. Until this connection
 * names any asset actor (a gateway up before its engine publishes its actors, a feed without
 * actors) every asset counts as traded: nothing is marked on silence. A new connection starts
 * over, without unmarking at once (a chart marked stays so until an actor of the new connection
 * names it). No DOM: unit-tested under Node.
 */
export class TradedSymbols {
  /** Named on this connection: `assetKey`s, and the symbols of ids without a venue; null before any. */
  private named: Readonly<{ assets: Set<string>; anyVenue: Set<string> }> | null = null;
  private open = false;

  /** Each connection status: a connection that has just opened starts a new list. */
  status(state: ConnectionState): void {
    const open = state === 'open';
    if (open && !this.open) this.named = null;
    this.open = open;
  }

  /** An `actors` update (snapshot or delta) of actor `id`: true when it named an asset not named before on this connection. */
  actor(id: string): boolean {
    const a = assetOf(id);
    if (a === undefined) return false;
    this.named ??= { assets: new Set(), anyVenue: new Set() };
    const [set, key] = a.venue === null ? [this.named.anyVenue, a.symbol] : [this.named.assets, assetKey(a.venue, a.symbol)];
    if (set.has(key)) return false;
    set.add(key);
    return true;
  }

  /** Whether `symbol` on `venue` counts as traded: named by an asset actor of this connection, or none named yet. */
  traded(venue: string, symbol: string): boolean {
    return this.named === null || this.named.assets.has(assetKey(venue, symbol)) || this.named.anyVenue.has(symbol);
  }
}

import type { ConnectionState } from './feed-client.js';

/**
 * The symbol an asset actor's id names (`asset:<venue>:<symbol>`, `actors/asset-actor.ts`
 * assetActorKey; `asset:<symbol>` from a publisher that leaves the venue out); undefined for
 * another actor. A venue is one token and has no '/', a symbol always does (`BTC/USDT:USDT`).
 */
export function assetSymbol(id: string): string | undefined {
  if (!id.startsWith('asset:')) return undefined;
  const rest = id.slice('asset:'.length);
  const cut = rest.indexOf(':');
  if ((cut < 0 ? rest : rest.slice(0, cut)).includes('/')) return rest;
  return cut < 0 || cut === rest.length - 1 ? undefined : rest.slice(cut + 1);
}

/**
 * Which symbols the engine trades now, as the asset actors the feed's `actors` topic names on the
 * current connection (snapshot and deltas): a restarted engine that trades other symbols no
 * longer names the old ones, and their charts are marked. Until this connection names any asset
 * actor (a gateway up before its engine publishes its actors, a feed without actors) every
 * symbol counts as traded: nothing is marked on silence. A new connection starts over, without
 * unmarking at once (a chart marked stays so until an actor of the new connection names it).
 * No DOM: unit-tested under Node.
 */
export class TradedSymbols {
  private named: Set<string> | null = null;
  private open = false;

  /** Each connection status: a connection that has just opened starts a new list. */
  status(state: ConnectionState): void {
    const open = state === 'open';
    if (open && !this.open) this.named = null;
    this.open = open;
  }

  /** An `actors` update (snapshot or delta) of actor `id`: true when it named a symbol not named before on this connection. */
  actor(id: string): boolean {
    const symbol = assetSymbol(id);
    if (symbol === undefined) return false;
    this.named ??= new Set();
    if (this.named.has(symbol)) return false;
    this.named.add(symbol);
    return true;
  }

  /** Whether `symbol` counts as traded: named by an asset actor of this connection, or none named yet. */
  traded(symbol: string): boolean {
    return this.named === null || this.named.has(symbol);
  }
}

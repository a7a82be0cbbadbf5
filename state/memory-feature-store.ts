import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { assetKeyOf, newestPerAsset } from './coalesce-latest.js';
import { StoreError } from './errors.js';
import { decodeFeatureVector, encodeFeatureVector } from './feature-vector-binary.js';
import { stringifyExact } from './exact-json.js';
import type { ActorSnapshot, FeatureStore } from './feature-store.js';

/** Field names the Redis latest hash uses for the vector's own fields. */
export const RESERVED_FEATURE_NAMES: ReadonlySet<string> = new Set(['_id', '_ts', '_source']);

/** Both adapters refuse a cap that Redis' LTRIM would read as "keep everything" (0) or reject. */
export function checkHistoryCap(cap: number): void {
  if (!Number.isSafeInteger(cap) || cap < 1) throw new StoreError(`historyCap must be a positive integer, got ${cap}`, false);
}

/**
 * Refuses a batch whose features would collide with the latest hash's own fields in Redis; the
 * memory store refuses the same, so a name that breaks live also breaks a backtest.
 */
export function checkFeatureNames(vectors: readonly FeatureVector[]): void {
  for (const v of vectors) {
    for (const name of RESERVED_FEATURE_NAMES) {
      if (Object.hasOwn(v.values, name)) throw new StoreError(`feature name ${name} is reserved (vector ${v.id})`, false);
    }
  }
}

/** How many history entries a `limit` asks for: whole, at most the cap, none for ≤ 0 or NaN. */
export const historyTake = (limit: number, cap: number): number => (limit >= 1 ? Math.min(Math.floor(limit), cap) : 0);

/**
 * The FeatureStore in process (backtests, embedded demo). The reference for the Redis adapter's
 * semantics: same coalescing, caps, refusals, history entries in the same binary form, and
 * snapshots that come back as copies exactly as Redis returns them (through the same exact JSON).
 * The store keeps the snapshot it was handed and serialises it when it is loaded, not when it is
 * written: an asset actor writes a snapshot per checkpoint (per batch in a backtest) and loads one
 * only when it starts, and the JSON of a snapshot holding the tick gate's 4,096 ids is ~150 KB. A
 * snapshot is built fresh for each write and never changed afterwards (as
 * `FeatureStore.writeBatch` requires).
 */
export function createMemoryFeatureStore(opts: Readonly<{ historyCap: number }>): FeatureStore {
  checkHistoryCap(opts.historyCap);
  const cap = opts.historyCap;
  const latest = new Map<string, FeatureVector>();
  // Oldest first, trimmed in chunks so appends stay O(1) amortised; each entry in the Redis
  // history's binary form, decoded when read. Kept as objects, a live engine's 500–1,000 vectors
  // per asset (~35 heap objects each) were a fifth of what it promoted to the old generation,
  // and every full collection marked them.
  const history = new Map<string, Buffer[]>();
  const snapshots = new Map<string, ActorSnapshot>(); // serialised when loaded

  return {
    kind: 'memory',
    latest: async (a) => latest.get(assetKeyOf(a.venue, a.symbol)),
    history: async (a, limit) => {
      const h = history.get(assetKeyOf(a.venue, a.symbol)) ?? [];
      const n = Math.min(historyTake(limit, cap), h.length);
      const out: FeatureVector[] = [];
      for (let i = h.length - 1; i >= h.length - n; i--) out.push(decodeFeatureVector(h[i] as Buffer, a.venue, a.symbol));
      return out;
    },
    loadSnapshot: async (key) => {
      const s = snapshots.get(key);
      return s === undefined ? undefined : (JSON.parse(stringifyExact(s)) as ActorSnapshot);
    },
    writeBatch: async (vectors, snaps = []) => {
      checkFeatureNames(vectors);
      // Only an asset's newest `cap` vectors can ever be read back: of a batch longer than that
      // (a backtest's 4,096 messages with a history of 2), the older ones are not encoded at all.
      const left = vectors.length > cap ? new Map<string, number>() : undefined;
      if (left !== undefined) {
        for (const v of vectors) {
          const k = assetKeyOf(v.venue, v.symbol);
          left.set(k, (left.get(k) ?? 0) + 1);
        }
      }
      for (const v of vectors) {
        const k = assetKeyOf(v.venue, v.symbol);
        if (left !== undefined) {
          const after = (left.get(k) as number) - 1; // this asset's vectors after this one in the batch
          left.set(k, after);
          if (after >= cap) continue;
        }
        let h = history.get(k);
        if (h === undefined) history.set(k, (h = []));
        h.push(encodeFeatureVector(v));
        if (h.length >= 2 * cap) h.splice(0, h.length - cap);
      }
      for (const [k, v] of newestPerAsset(vectors)) latest.set(k, v);
      for (const [key, snap] of snaps) snapshots.set(key, snap);
    },
    clear: async () => {
      latest.clear();
      history.clear();
      snapshots.clear();
    },
    close: async () => {},
  };
}

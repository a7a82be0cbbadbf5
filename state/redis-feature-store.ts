import { Redis } from 'ioredis';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { newestPerAsset } from './coalesce-latest.js';
import { StoreConnectError, StoreError } from './errors.js';
import { stringifyExact } from './exact-json.js';
import type { FeatureVectorBinaryError} from './feature-vector-binary.js';
import { decodeFeatureVector, encodeFeatureVector, isBinaryFeatureVector } from './feature-vector-binary.js';
import type { ActorSnapshot, AssetKey, FeatureStore } from './feature-store.js';
import { checkFeatureNames, checkHistoryCap, historyTake } from './memory-feature-store.js';

export type RedisFeatureStoreOptions = Readonly<{
  url: string;
  keyPrefix: string;
  historyCap: number;
  /** First connection only: past this the factory rejects, so the CLI can fall back to memory. */
  connectTimeoutMs?: number;
  /** A command that gets no reply (a stalled server) fails after this long instead of hanging. */
  commandTimeoutMs?: number;
}>;

/** Replies that describe a passing server state (loading, failover, busy script), not our request. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/**
 * A failure from ioredis: a server reply error (wrong type, bad argument, aborted transaction)
 * will fail again, unless it names a passing server state; anything else is the connection
 * (closed, retries exhausted, timed out) and may succeed on retry.
 */
export function isRetryableRedisError(e: unknown): boolean {
  if (!(e instanceof Error) || e.name !== 'ReplyError') return true;
  return TRANSIENT_REPLY.test(e.message);
}

const GLOB_SPECIAL = /[*?[\]\\]/g;

/**
 * The online feature store on Redis:
 * - `<prefix>:feat:<venue>:<symbol>` — hash of the latest vector: one field per feature (empty
 *   string for a feature still warming up) plus `_id`, `_ts` and `_source`;
 * - `<prefix>:feath:<venue>:<symbol>` — capped list of recent vectors, newest first, in the
 *   binary form of `feature-vector-binary.ts` (doubles as they are: formatting them as JSON text
 *   was the largest cost of the ingest path); entries written as JSON by older versions still read;
 * - `<prefix>:snap:<actorKey>` — actor snapshots (JSON).
 *
 * A batch is one MULTI/EXEC, sent in one round trip: readers never see half a batch (a snapshot
 * without the history it covers), a client killed mid-send leaves nothing behind, and the latest
 * hash is replaced (DEL + HSET) rather than merged, so a feature that left the set does not linger.
 *
 * @example
 * const fs = await createRedisFeatureStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'sx', historyCap: 500 });
 * await fs.writeBatch(vectors, [['asset:binance:BTC/USDT', snapshot]]);
 */
export async function createRedisFeatureStore(opts: RedisFeatureStoreOptions): Promise<FeatureStore> {
  checkHistoryCap(opts.historyCap);
  const cap = opts.historyCap;
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
    // Once running, a command waits through ~3 reconnect attempts (~0.7 s) and then fails with a
    // retryable error, rather than queueing without bound while Redis is away.
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  redis.on('error', () => {}); // surfaced through rejected commands; keeps the process alive
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect(); // stops the reconnect loop the failed attempt started
    throw new StoreConnectError(`cannot connect to Redis at ${opts.url}: ${(e as Error).message}`, { cause: e });
  }
  const p = opts.keyPrefix;
  const featKey = (venue: string, symbol: string): string => `${p}:feat:${venue}:${symbol}`;
  const histKey = (venue: string, symbol: string): string => `${p}:feath:${venue}:${symbol}`;
  const snapKey = (actorKey: string): string => `${p}:snap:${actorKey}`;

  /** Runs Redis commands only; decoding stays outside, where a bad entry is not retryable. */
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new StoreError(`redis ${what} failed: ${(e as Error).message}`, isRetryableRedisError(e), { cause: e });
    }
  };
  const parse = <T>(what: string, key: string, json: string): T => {
    try {
      return JSON.parse(json) as T;
    } catch (e) {
      throw new StoreError(`redis ${what}: entry at ${key} is not JSON`, false, { cause: e });
    }
  };

  const latest = async (a: AssetKey): Promise<FeatureVector | undefined> => {
    const h = await call('latest', () => redis.hgetall(featKey(a.venue, a.symbol)));
    const id = h['_id'];
    if (id === undefined) return undefined;
    const values: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(h)) if (k !== '_id' && k !== '_ts' && k !== '_source') values[k] = v === '' ? null : Number(v);
    return { type: 'feat.vector', v: 1, id, venue: a.venue, symbol: a.symbol, ts: Number(h['_ts']), source: h['_source'] ?? '', values };
  };

  return {
    kind: 'redis',
    latest,
    history: async (a, limit) => {
      const n = historyTake(limit, cap);
      if (n === 0) return [];
      const key = histKey(a.venue, a.symbol);
      const rows = await call('history', () => redis.lrangeBuffer(key, 0, n - 1));
      return rows.map((r) => {
        if (!isBinaryFeatureVector(r)) return parse<FeatureVector>('history', key, r.toString('utf8'));
        try {
          return decodeFeatureVector(r, a.venue, a.symbol);
        } catch (e) {
          throw new StoreError(`redis history: entry at ${key} is not a feature vector: ${(e as FeatureVectorBinaryError).message}`, false, { cause: e });
        }
      });
    },
    loadSnapshot: async (actorKey) => {
      const key = snapKey(actorKey);
      const s = await call('loadSnapshot', () => redis.get(key));
      return s === null ? undefined : parse<ActorSnapshot>('loadSnapshot', key, s);
    },
    writeBatch: async (vectors, snaps = []) => {
      if (vectors.length === 0 && snaps.length === 0) return;
      checkFeatureNames(vectors);
      const tx = redis.multi();
      // One LPUSH per asset with its vectors in input order: the last pushed is the head, so the
      // list stays newest first; only the last `cap` of a long batch can survive the trim.
      const perAsset = new Map<string, FeatureVector[]>();
      for (const v of vectors) {
        const k = histKey(v.venue, v.symbol);
        let list = perAsset.get(k);
        if (list === undefined) perAsset.set(k, (list = []));
        list.push(v);
      }
      for (const [k, list] of perAsset) {
        tx.lpush(k, ...(list.length > cap ? list.slice(list.length - cap) : list).map(encodeFeatureVector));
        tx.ltrim(k, 0, cap - 1);
      }
      for (const v of newestPerAsset(vectors).values()) {
        const fields: Record<string, string> = { _id: v.id, _ts: String(v.ts), _source: v.source };
        for (const [name, value] of Object.entries(v.values)) fields[name] = value === null ? '' : String(value);
        const k = featKey(v.venue, v.symbol);
        tx.del(k);
        tx.hset(k, fields);
      }
      for (const [actorKey, snap] of snaps) tx.set(snapKey(actorKey), stringifyExact(snap));
      const results = await call('writeBatch', () => tx.exec());
      const failed = results?.find(([err]) => err !== null)?.[0];
      if (failed !== undefined && failed !== null) {
        throw new StoreError(`redis writeBatch failed: ${failed.message}`, isRetryableRedisError(failed), { cause: failed });
      }
      if (results === null) throw new StoreError('redis writeBatch: transaction discarded', true);
    },
    clear: async () => {
      // Only this prefix: glob characters in it are escaped so `a*` cannot match `ab:…`.
      const match = `${p.replace(GLOB_SPECIAL, '\\$&')}:*`;
      let cursor = '0';
      do {
        const [next, keys] = await call('clear', () => redis.scan(cursor, 'MATCH', match, 'COUNT', 1000));
        cursor = next;
        if (keys.length > 0) await call('clear', () => redis.unlink(...keys));
      } while (cursor !== '0');
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

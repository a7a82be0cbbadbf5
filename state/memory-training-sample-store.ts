import { checkSampleCommit } from './sample-check.js';
import { byAsset, matchesQuery } from './training-sample-store.js';
import type { CountQuery, TrainingSample, TrainingSampleStore } from './training-sample-store.js';

const byTimeThenId = (a: TrainingSample, b: TrainingSample): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** First index in `rows` (sorted by time, then id) not before (ts, id). */
function lowerBound(rows: readonly TrainingSample[], ts: number, id: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid] as TrainingSample;
    if (r.ts < ts || (r.ts === ts && r.id < id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The training-sample store in process (backtests, embedded demo): same unique key and upsert
 * rule as PostgreSQL. Snapshots are deep-copied through JSON, as a database would store them.
 * Samples are kept per (strategy, venue, symbol) in time order, so a query for a time range reads
 * only that range (the retraining actor looks its labels' samples up batch by batch: a scan of
 * every stored sample per batch made an experiment's loop arm quadratic).
 */
export function createMemoryTrainingSampleStore(): TrainingSampleStore {
  /** strategy → `venue|symbol` → samples by (ts, id). */
  const lanes = new Map<string, Map<string, TrainingSample[]>>();
  const snapshots = new Map<string, string>();
  let total = 0;
  const upsert = (s: TrainingSample): void => {
    let byAsset = lanes.get(s.strategy);
    if (byAsset === undefined) lanes.set(s.strategy, (byAsset = new Map()));
    const k = `${s.venue}|${s.symbol}`;
    let rows = byAsset.get(k);
    if (rows === undefined) byAsset.set(k, (rows = []));
    const copy = JSON.parse(JSON.stringify(s)) as TrainingSample;
    const last = rows[rows.length - 1];
    if (last === undefined || last.ts < s.ts || (last.ts === s.ts && last.id < s.id)) {
      rows.push(copy);
      total++;
      return;
    }
    const i = lowerBound(rows, s.ts, s.id);
    const at = rows[i];
    if (at !== undefined && at.ts === s.ts && at.id === s.id) rows[i] = copy;
    else {
      rows.splice(i, 0, copy);
      total++;
    }
  };
  /** Each lane of the query's assets with the index range of its decision-time range. */
  const rangesOf = function* (q: CountQuery): Generator<Readonly<{ rows: readonly TrainingSample[]; from: number; to: number }>> {
    for (const [k, rows] of lanes.get(q.strategy) ?? []) {
      const [venue, symbol] = k.split('|') as [string, string];
      if ((q.venue !== undefined && venue !== q.venue) || (q.symbol !== undefined && symbol !== q.symbol)) continue;
      yield { rows, from: q.from === undefined ? 0 : lowerBound(rows, q.from, ''), to: q.to === undefined ? rows.length : lowerBound(rows, q.to, '') };
    }
  };
  return {
    storedIds: async (strategy, keys) => {
      const out = new Set<string>();
      const byAsset = lanes.get(strategy);
      for (const k of keys) {
        const rows = byAsset?.get(`${k.venue}|${k.symbol}`);
        if (rows === undefined) continue;
        const at = rows[lowerBound(rows, k.ts, k.id)];
        if (at !== undefined && at.ts === k.ts && at.id === k.id) out.add(k.id);
      }
      return out;
    },
    commit: async (c) => {
      checkSampleCommit(c);
      for (const s of c.samples) upsert(s);
      if (c.snapshot !== undefined) snapshots.set(c.snapshot.actor, JSON.stringify(c.snapshot.state));
      return c.samples.length;
    },
    samples: async (q) => {
      const newest = q.newest !== undefined && Number.isFinite(q.newest) ? Math.max(0, Math.floor(q.newest)) : undefined;
      const out: TrainingSample[] = [];
      let parts = 0;
      for (const { rows, from, to } of rangesOf(q)) {
        const before = out.length;
        if (newest === undefined) {
          for (let i = from; i < to; i++) {
            const r = rows[i] as TrainingSample;
            if (matchesQuery(r, q)) out.push(r);
          }
        } else {
          // The lane's newest matches only, walked from its end: older ones cannot be among the newest.
          const lane: TrainingSample[] = [];
          for (let i = to - 1; i >= from && lane.length < newest; i--) {
            const r = rows[i] as TrainingSample;
            if (matchesQuery(r, q)) lane.push(r);
          }
          for (let i = lane.length - 1; i >= 0; i--) out.push(lane[i] as TrainingSample);
        }
        if (out.length > before) parts++;
      }
      if (parts > 1) out.sort(byTimeThenId);
      const kept = newest !== undefined ? out.slice(Math.max(0, out.length - newest)) : out;
      return q.limit !== undefined && Number.isFinite(q.limit) ? kept.slice(0, Math.max(0, Math.floor(q.limit))) : kept;
    },
    countSamples: async (q) => {
      const atMost = q.atMost !== undefined && Number.isFinite(q.atMost) ? Math.max(0, Math.floor(q.atMost)) : Number.POSITIVE_INFINITY;
      let n = 0;
      for (const { rows, from, to } of rangesOf(q)) for (let i = to - 1; i >= from && n < atMost; i--) if (matchesQuery(rows[i] as TrainingSample, q)) n++;
      return n;
    },
    assets: async (strategy) =>
      [...(lanes.get(strategy) ?? [])]
        .filter(([, rows]) => rows.length > 0)
        .map(([k]) => {
          const [venue, symbol] = k.split('|') as [string, string];
          return { venue, symbol };
        })
        .sort(byAsset),
    count: async (strategy) => {
      if (strategy === undefined) return total;
      let n = 0;
      for (const rows of lanes.get(strategy)?.values() ?? []) n += rows.length;
      return n;
    },
    loadSnapshot: async (actor) => {
      const s = snapshots.get(actor);
      return s === undefined ? undefined : (JSON.parse(s) as unknown);
    },
    clear: async () => {
      lanes.clear();
      snapshots.clear();
      total = 0;
    },
    close: async () => {},
  };
}

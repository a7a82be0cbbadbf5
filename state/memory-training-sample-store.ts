import type { SampleQuery, TrainingSample, TrainingSampleStore } from './training-sample-store.js';

const keyOf = (s: TrainingSample): string => [s.strategy, s.venue, s.symbol, s.ts, s.id].join('\u0000');
const byTimeThenId = (a: TrainingSample, b: TrainingSample): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The training-sample store in process (backtests, embedded demo): same unique key and upsert
 * rule as PostgreSQL. Snapshots are deep-copied through JSON, as a database would store them.
 */
export function createMemoryTrainingSampleStore(): TrainingSampleStore {
  const rows = new Map<string, TrainingSample>();
  const snapshots = new Map<string, string>();
  const matches = (s: TrainingSample, q: SampleQuery): boolean =>
    s.strategy === q.strategy &&
    (q.venue === undefined || s.venue === q.venue) &&
    (q.symbol === undefined || s.symbol === q.symbol) &&
    (q.from === undefined || s.ts >= q.from) &&
    (q.to === undefined || s.ts < q.to);
  return {
    commit: async (c) => {
      for (const s of c.samples) rows.set(keyOf(s), JSON.parse(JSON.stringify(s)) as TrainingSample);
      if (c.snapshot !== undefined) snapshots.set(c.snapshot.actor, JSON.stringify(c.snapshot.state));
      return c.samples.length;
    },
    samples: async (q) => {
      const out = [...rows.values()].filter((s) => matches(s, q)).sort(byTimeThenId);
      return q.limit !== undefined && Number.isFinite(q.limit) ? out.slice(0, Math.max(0, Math.floor(q.limit))) : out;
    },
    count: async (strategy) => [...rows.values()].filter((s) => strategy === undefined || s.strategy === strategy).length,
    loadSnapshot: async (actor) => {
      const s = snapshots.get(actor);
      return s === undefined ? undefined : (JSON.parse(s) as unknown);
    },
    clear: async () => {
      rows.clear();
      snapshots.clear();
    },
    close: async () => {},
  };
}

import { describe, expect, it } from 'vitest';
import type { LabelingActorHandle } from '../../../actors/labeling-actor.js';
import type { ActorStatus as SupervisedActor, Supervisor } from '../../../actors/supervisor.js';
import type { ActorSummary } from '../../../cli/engine-status-feed.js';
import { startEngineStatusFeed } from '../../../cli/engine-status-feed.js';
import { actorRow } from '../../../gateways/dashboard/src/actor-view.js';
import type { ActorRow } from '../../../gateways/dashboard/src/actor-view.js';
import { parsePayload } from '../../../gateways/dashboard/src/topics.js';
import { createCounters } from '../../../state/counters.js';
import { silentLogger } from '../../../state/logger.js';

/** An actor's summary as the engine's status feed publishes it on `actors`, read as the page reads it. */
const asPageReadsIt = (a: ActorSummary): ActorRow => {
  const parsed = parsePayload('actors', a.id, 'delta', JSON.parse(JSON.stringify(a)));
  if (!parsed.ok) throw new Error(parsed.reason);
  if (parsed.payload.topic !== 'actors') throw new Error('not an actor');
  return actorRow(parsed.payload.data);
};

/** The engine's status feed over a supervisor whose status the test sets; each flush's actors as the page reads them. */
const feedOver = (): { set(s: SupervisedActor): void; rows(): ActorRow[]; stop(): void } => {
  let now: SupervisedActor = { key: 'asset:binance:BTC/USDT', state: 'live', restarts: 0, lastSeq: 0 };
  const supervisor: Supervisor = { status: () => [now], halt: () => undefined, resume: () => undefined, restartGivenUp: () => [], stop: async () => undefined };
  const published: ActorSummary[] = [];
  const feed = startEngineStatusFeed({
    engine: { supervisor, decisions: undefined, labeling: undefined, counters: createCounters() },
    hub: {
      publishLocal: (topic, _key, data) => {
        if (topic === 'actors') published.push(data as ActorSummary);
      },
    },
    bus: { consumerInfo: async () => undefined },
    consumers: [],
    intervalMs: 3_600_000,
    log: silentLogger,
  });
  return {
    set: (s) => (now = s),
    rows: () => {
      published.length = 0;
      feed.flush();
      return published.map(asPageReadsIt);
    },
    stop: () => feed.stop(),
  };
};

describe('dashboard actors panel: why an actor is down', () => {
  it('shows the restart count and the error an asset actor is restarting on, and clears it once the actor runs again', () => {
    const feed = feedOver();
    try {
      expect(feed.rows()).toEqual([{ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'live', restarts: '0', error: null, counts: null }]);
      const redis = 'Error: connect ECONNREFUSED 127.0.0.1:6379';
      feed.set({ key: 'asset:binance:BTC/USDT', state: 'restarting', restarts: 2, lastSeq: 41, lastError: redis });
      expect(feed.rows()).toEqual([{ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: '2', error: redis, counts: null }]);
      // The supervisor keeps its last failure after the restart; the page does not show it as the reason any more.
      feed.set({ key: 'asset:binance:BTC/USDT', state: 'live', restarts: 2, lastSeq: 57, lastError: redis });
      expect(feed.rows()).toEqual([{ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'live', restarts: '2', error: null, counts: null }]);
    } finally {
      feed.stop();
    }
  });

  it('shows why an asset actor was given up', () => {
    const feed = feedOver();
    try {
      const pg = 'StateStoreError: relation "snapshots" does not exist';
      feed.set({ key: 'asset:binance:BTC/USDT', state: 'failed', restarts: 5, lastSeq: 12, lastError: pg });
      expect(feed.rows()).toEqual([{ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'failed', restarts: '5', error: pg, counts: null }]);
    } finally {
      feed.stop();
    }
  });

  it("shows the decision actor's error while the feed carries it, and no restart count where the feed gives none", () => {
    const refused = 'refused direction-mlp@7 (direction-mlp@production): it was trained on 5m bars; this engine decides on 1h bars';
    expect(asPageReadsIt({ id: 'decision:momentum', kind: 'decision', state: 'live', model: 'direction-mlp@1', lastError: refused })).toEqual({
      id: 'decision:momentum',
      kind: 'decision',
      state: 'live',
      restarts: '',
      error: refused,
      counts: null,
    });
    expect(asPageReadsIt({ id: 'decision:momentum', kind: 'decision', state: 'live', model: 'direction-mlp@8' }).error).toBeNull();
  });

  it("shows what the labeling actor has pending, labeled and refused, not its state alone, and of those refused the predictions and orders left unlabeled apart from bad inputs", () => {
    const supervisor: Supervisor = { status: () => [], halt: () => undefined, resume: () => undefined, restartGivenUp: () => [], stop: async () => undefined };
    // 'refused 5' read as if five predictions had gone unlabeled: four were bad bars its bar consumer refused.
    const stats = { received: 9, refused: 5, unlabeled: 1, refusedInputs: 4, skippedSeq: 0, labeled: 4, samples: 4, published: 9, duplicates: 0, waitingFeatures: 0, pathsFromStore: 0, relabelsSkipped: 0, noBarsRefused: 0, recorderGoneRefused: 0, pending: 3 };
    const labeling: LabelingActorHandle = { key: 'labeling:momentum', strategy: 'momentum', consumers: [], stop: async () => {}, abort: async () => {}, recheck: async () => {}, stats: () => stats, pendingIds: () => [], done: new Promise<void>(() => {}) };
    const published: ActorSummary[] = [];
    const feed = startEngineStatusFeed({
      engine: { supervisor, decisions: undefined, labeling, counters: createCounters() },
      hub: { publishLocal: (topic, _key, data) => (topic === 'actors' ? published.push(data as ActorSummary) : undefined) },
      bus: { consumerInfo: async () => undefined },
      consumers: [],
      intervalMs: 3_600_000,
      log: silentLogger,
    });
    try {
      expect(published.map((a) => a.counts)).toEqual([{ pending: 3, labeled: 4, refused: 5, unlabeled: 1, refusedInputs: 4 }]);
      expect(published.map(asPageReadsIt)).toEqual([{ id: 'labeling:momentum', kind: 'labeling', state: 'live', restarts: '', error: null, counts: 'pending 3 · labeled 4 · refused 5 (1 unlabeled, 4 bad inputs)' }]);
    } finally {
      feed.stop();
    }
  });

  it("writes an older engine's labeling counts (no split) as it sent them, and none refused without the split", () => {
    const row = (counts: Record<string, number>): string | null => asPageReadsIt({ id: 'labeling:momentum', kind: 'labeling', state: 'live', counts }).counts;
    expect(row({ pending: 3, labeled: 4, refused: 2 })).toBe('pending 3 · labeled 4 · refused 2');
    expect(row({ pending: 3, labeled: 4, refused: 0, unlabeled: 0, refusedInputs: 0 })).toBe('pending 3 · labeled 4 · refused 0');
  });
});

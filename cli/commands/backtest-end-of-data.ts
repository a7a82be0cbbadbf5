import type { EventSequencer } from '../../actors/event-sequencer.js';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { AssetKey } from '../../state/feature-store.js';
import type { ActorStatus } from '../../actors/supervisor.js';
import type { StreamAdmin } from '../../streams/bus.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Subjects } from '../../streams/subjects.js';
import type { MergeHooks } from '../../gateways/historical/merge-batches-by-time.js';

/**
 * End of data for a backtest's sequencer. Every asset is fed from one time-ordered replay, so the
 * sequencer has no idle marks (a timer would fire at a point that depends on how far the replay
 * ran ahead of the actors). But an asset whose data ends before the others' would then hold
 * back every later event of the others for ever: their actors wait for decisions that wait for
 * it. Once an asset's actor has committed the last message the replay published for it, nothing
 * more can come from it, and marking it idle changes no order — it only stops the wait.
 *
 * An asset is sealed as soon as every source of it has ended (`hooks.end`, then `sealEnded`
 * after the batch that carried its last message), not only after the whole replay: otherwise a
 * symbol whose data ends early holds every later event of the others in memory until the replay
 * is done (the bench's 5.6 M events: 2.6 M of them held, and the replay running away from the
 * actors). Likewise at the other end: where each asset's data begins is known before the first
 * batch (`hooks.start`), and `markStarts` tells the sequencer (`notBefore`), so a symbol whose
 * data starts late holds the others back only from its first message on.
 */
export type EndOfData = Readonly<{
  /** Remembers which subject a published message went to (cheap: called for every message). */
  note(md: MarketData): void;
  /**
   * `mergeBatchesByTime`'s hooks for the replay's sources. `start(i, ts)`: source `i` begins at
   * `ts`, so its asset has nothing before its sources' earliest start. `end(i)`: source `i` has
   * nothing more; once every source of its asset has ended, the next {@link sealEnded} seals it.
   */
  hooks: Required<MergeHooks>;
  /**
   * Tells the sequencer where each asset's data begins (`notBefore`, once per asset), so an asset
   * whose data starts later than the others' does not hold them back until its first message.
   */
  markStarts(sequencer: Pick<EventSequencer, 'notBefore'>): void;
  /**
   * During the replay, after a whole batch was published: seals the assets all of whose sources
   * had ended before that batch was handed out (their last message is published by then).
   */
  sealEnded(bus: Pick<StreamAdmin, 'lastMessage'>, stream: string, subjects: Subjects): Promise<void>;
  /** After the replay: the last stream sequence of each asset, read back from the stream. */
  seal(bus: Pick<StreamAdmin, 'lastMessage'>, stream: string, subjects: Subjects): Promise<void>;
  /** Marks idle every sealed asset whose actor has committed its last message (once each). */
  release(actors: readonly ActorStatus[], sequencer: Pick<EventSequencer, 'idle'>): void;
}>;

/**
 * `sources`: the asset of each of the replay's sources, in the order given to `mergeBatchesByTime`
 * (one asset may have several, e.g. one file per period). Without them assets are sealed only
 * after the replay.
 */
export function endOfData(sources: readonly AssetKey[] = []): EndOfData {
  /** venue → symbol → kinds seen (`md.trade`, `md.quote`, or a bar's timeframe): no string built per message. */
  const seen = new Map<string, Map<string, Set<string>>>();
  const lastSeq = new Map<string, number>();
  const released = new Set<string>();
  /** Sources still open per asset key. */
  const open = new Map<string, number>();
  for (const a of sources) {
    const key = assetActorKey(a);
    open.set(key, (open.get(key) ?? 0) + 1);
  }
  /** Assets whose every source ended, to be sealed after the batch being published. */
  let ended: AssetKey[] = [];
  /** After the replay: every asset is sealed, those with no data at all included. */
  let final = false;
  /** Earliest first message per asset key, from its sources' starts, until marked. */
  const begins = new Map<string, number>();
  const sourceStarted = (index: number, ts: number): void => {
    const a = sources[index];
    if (a === undefined) return;
    const key = assetActorKey(a);
    const cur = begins.get(key);
    if (cur === undefined || ts < cur) begins.set(key, ts);
  };
  const sourceEnded = (index: number): void => {
    const a = sources[index];
    if (a === undefined) return;
    const key = assetActorKey(a);
    const left = (open.get(key) ?? 0) - 1;
    open.set(key, left);
    if (left === 0) ended.push(a);
  };

  const sealAsset = async (bus: Pick<StreamAdmin, 'lastMessage'>, stream: string, subjects: Subjects, venue: string, symbol: string): Promise<void> => {
    let last = 0;
    for (const k of seen.get(venue)?.get(symbol) ?? []) {
      const subject = k === 'md.trade' ? subjects.trade(venue, symbol) : k === 'md.quote' ? subjects.quote(venue, symbol) : subjects.bar(venue, symbol, k);
      last = Math.max(last, (await bus.lastMessage(stream, subject))?.streamSeq ?? 0);
    }
    lastSeq.set(assetActorKey({ venue, symbol }), last);
  };

  return {
    note: (md) => {
      let bySymbol = seen.get(md.venue);
      if (bySymbol === undefined) seen.set(md.venue, (bySymbol = new Map()));
      let kinds = bySymbol.get(md.symbol);
      if (kinds === undefined) bySymbol.set(md.symbol, (kinds = new Set()));
      kinds.add(md.type === 'md.bar' ? md.tf : md.type);
    },
    hooks: { start: sourceStarted, end: sourceEnded },
    markStarts: (sequencer) => {
      // Every source's first message is known before the merge hands out its first batch, and
      // none of an asset's messages is before its earliest: the mark holds whenever it is made.
      for (const [key, ts] of begins) sequencer.notBefore(key, ts);
      begins.clear();
    },
    sealEnded: async (bus, stream, subjects) => {
      if (ended.length === 0) return;
      const now = ended;
      ended = [];
      for (const a of now) await sealAsset(bus, stream, subjects, a.venue, a.symbol);
    },
    seal: async (bus, stream, subjects) => {
      for (const [venue, bySymbol] of seen) for (const symbol of bySymbol.keys()) await sealAsset(bus, stream, subjects, venue, symbol);
      ended = [];
      final = true;
    },
    release: (actors, sequencer) => {
      for (const a of actors) {
        if (released.has(a.key)) continue;
        const last = lastSeq.get(a.key);
        // Not sealed yet: more may come. After the replay, an asset with no data in the window
        // never pushes: nothing to wait for.
        if (last === undefined && !final) continue;
        if (a.lastSeq < (last ?? 0)) continue;
        released.add(a.key);
        sequencer.idle(a.key);
      }
    },
  };
}

/** A replay's asset actor failed (a backtest does not restart one): the run cannot finish. */
export class ActorFailedError extends Error {
  constructor(readonly actor: ActorStatus) {
    super(`asset actor ${actor.key} failed: ${actor.lastError ?? 'no error recorded'}`);
    this.name = 'ActorFailedError';
  }
}

/** Throws {@link ActorFailedError} for the first actor of `actors` that failed. */
export function throwIfFailed(actors: readonly ActorStatus[]): void {
  const failed = actors.find((a) => a.state === 'failed');
  if (failed !== undefined) throw new ActorFailedError(failed);
}

/** What {@link replayHooks} needs of the engine: its actors' progress and its sequencer, when decisions run. */
export type ReplayedEngine = Readonly<{
  supervisor: Readonly<{ status(): readonly ActorStatus[] }>;
  decisions: Readonly<{ sequencer: Pick<EventSequencer, 'idle' | 'notBefore'> }> | undefined;
}>;

/**
 * The replay's side of `ends` as the feed's hooks (`feedInProcess`'s `afterBatch` and `waiting`):
 * after each batch, mark where assets begin, seal those whose data ended and release the sealed
 * ones whose actors are done; while the feed waits, and after it (`release`), release. Each of
 * them throws {@link ActorFailedError} once an asset actor has failed, so the replay stops with
 * its error instead of waiting for messages nothing will handle.
 */
export function replayHooks(
  ends: EndOfData,
  engine: ReplayedEngine,
  store: Readonly<{ bus: Pick<StreamAdmin, 'lastMessage'>; stream: string; subjects: Subjects }>,
): Readonly<{ afterBatch: () => Promise<void>; waiting: () => void; release: () => void }> {
  const release = (): void => {
    const actors = engine.supervisor.status();
    throwIfFailed(actors);
    if (engine.decisions !== undefined) ends.release(actors, engine.decisions.sequencer);
  };
  return {
    afterBatch: async () => {
      if (engine.decisions !== undefined) ends.markStarts(engine.decisions.sequencer);
      await ends.sealEnded(store.bus, store.stream, store.subjects);
      release();
    },
    waiting: release,
    release,
  };
}

import type { EventSequencer } from '../../actors/event-sequencer.js';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { ActorStatus } from '../../actors/supervisor.js';
import type { StreamAdmin } from '../../streams/bus.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Subjects } from '../../streams/subjects.js';

/**
 * End of data for a backtest's sequencer. Every asset is fed from one time-ordered replay, so the
 * sequencer has no idle marks (a timer would fire at a point that depends on how far the replay
 * ran ahead of the actors). But an asset whose data ends before the others' would then hold
 * back every later event of the others for ever: their actors wait for decisions that wait for
 * it. Once an asset's actor has committed the last message the replay published for it, nothing
 * more can come from it, and marking it idle changes no order — it only stops the wait.
 */
export type EndOfData = Readonly<{
  /** Remembers which subject a published message went to (cheap: called for every message). */
  note(md: MarketData): void;
  /** After the replay: the last stream sequence of each asset, read back from the stream. */
  seal(bus: Pick<StreamAdmin, 'lastMessage'>, stream: string, subjects: Subjects): Promise<void>;
  /** Marks idle every sealed asset whose actor has committed its last message (once each). */
  release(actors: readonly ActorStatus[], sequencer: Pick<EventSequencer, 'idle'>): void;
}>;

export function endOfData(): EndOfData {
  /** venue → symbol → kinds seen (`md.trade`, `md.quote`, or a bar's timeframe): no string built per message. */
  const seen = new Map<string, Map<string, Set<string>>>();
  const lastSeq = new Map<string, number>();
  const released = new Set<string>();
  return {
    note: (md) => {
      let bySymbol = seen.get(md.venue);
      if (bySymbol === undefined) seen.set(md.venue, (bySymbol = new Map()));
      let kinds = bySymbol.get(md.symbol);
      if (kinds === undefined) bySymbol.set(md.symbol, (kinds = new Set()));
      kinds.add(md.type === 'md.bar' ? md.tf : md.type);
    },
    seal: async (bus, stream, subjects) => {
      for (const [venue, bySymbol] of seen) {
        for (const [symbol, kinds] of bySymbol) {
          let last = 0;
          for (const k of kinds) {
            const subject = k === 'md.trade' ? subjects.trade(venue, symbol) : k === 'md.quote' ? subjects.quote(venue, symbol) : subjects.bar(venue, symbol, k);
            last = Math.max(last, (await bus.lastMessage(stream, subject))?.streamSeq ?? 0);
          }
          lastSeq.set(assetActorKey({ venue, symbol }), last);
        }
      }
    },
    release: (actors, sequencer) => {
      for (const a of actors) {
        // An asset with no data in the window never pushes: nothing to wait for.
        const last = lastSeq.get(a.key) ?? 0;
        if (released.has(a.key) || a.lastSeq < last) continue;
        released.add(a.key);
        sequencer.idle(a.key);
      }
    },
  };
}

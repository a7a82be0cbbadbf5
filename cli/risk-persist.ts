import type { DecidedMark } from '../actors/decided-marks.js';
import type { OperatorChanges } from '../actors/operator-changes.js';
import type { PublishedMark } from '../actors/published-outputs.js';
import type { ExecutionCore } from '../models/execution/execution-core.js';
import type { PaperVenue } from '../models/execution/paper-venue-core.js';
import type { RiskCore, TradingSnapshot } from '../models/risk/risk-core.js';
import type { Clock } from '../state/clock.js';
import type { RiskStore } from '../state/risk-store.js';

/**
 * The decision path's risk writes (`persistRisk`): the book is taken when the checkpoint is taken
 * and written later, after the publications of the releases it covers, so a restart never holds
 * half a release. The trading state (ACTIVE / REDUCING / HALTED, scoped halts) and the limits are
 * taken at the same moment and stored in the same row (`trading`, `limits`, one upsert): they are
 * what the releases it covers were decided under, and a restart decides the events after it again
 * from them (cli/restored-operator-state.ts), not from a state read when the write is made (a halt
 * a breach made after the book was taken, stored with a book from before the breach; an operator's
 * halt or limits applied to events the first run decided before them). An operator's change made
 * after the book was taken is stored at once by the risk actor, with the point where it took
 * effect (`changes`, actors/operator-changes.ts). The trading row is still written first, for its
 * readers and so that a book the store refuses leaves a breach's halt stored, as a change in force
 * from this write's marks (`pending`): a crash before the book lands applies it there, not to the
 * events before it. The store keeps a newer state there (a higher `seq`, `saveTrading`), so this
 * older copy never puts ACTIVE back over an operator's HALTED.
 *
 * With the paper venue, its working orders and price-model estimates are taken at the same moment
 * and stored in the same row (`paperVenue`, beside the book's fields; see `restoredPaperVenue`):
 * the orders the book counts in flight after a restart are those the venue goes on working, and
 * fills of them are priced as without the restart.
 *
 * How far each asset's market data was decided at that moment (`decided`, the decision path's
 * marks) is stored in the row too: the write is made after the publications of everything it
 * covers are stored, so a restart after a crash skips the redelivered events at or below the marks
 * instead of deciding them again against this (newer) book (`restoredDecidedMarks`). Left out when
 * there are none, as in a row stored before the marks were. So is how far the outputs stream was
 * stored then (`published`: [stream, sequence]): a restart reads the outputs stored after it and
 * does not publish them again when it decides their events again (`restoredPublished`).
 *
 * With `execution`, its state at that moment is stored in the row too (`execution`: each asset's
 * parent under way with its plan and the children sent, and the prices it was working from; see
 * `restoredExecutionState`): a restarted engine sends the rest of a TWAP or a close as the
 * engine that stopped would have, instead of dropping it half-way.
 *
 * `tradingStored`: told of each trading state this writes once stored (the risk actor announces a
 * change it or the decision path flagged `stored: false` again once stored: `RiskActorHandle.tradingStored`).
 */
export function createRiskPersister(
  store: Pick<RiskStore, 'saveTrading' | 'saveBook'>,
  clock: Clock,
  written: ReturnType<RiskCore['trading']>,
  venue?: Pick<PaperVenue, 'snapshot'>,
  execution?: Pick<ExecutionCore, 'snapshot'>,
  tradingStored?: (trading: TradingSnapshot) => void,
  changes?: OperatorChanges,
): (core: RiskCore, decided?: readonly DecidedMark[], published?: PublishedMark) => () => Promise<void> {
  let lastTrading = JSON.stringify(written);
  return (core, decided, published) => {
    const now = clock.now();
    const trading = core.trading();
    const book = {
      ...core.bookSnapshot(),
      ...(venue === undefined ? {} : { paperVenue: venue.snapshot() }),
      ...(execution === undefined ? {} : { execution: execution.snapshot() }),
      ...(decided === undefined || decided.length === 0 ? {} : { decided }),
      ...(published === undefined ? {} : { published }),
      trading,
      limits: core.getLimits(),
    };
    return async () => {
      const tradingJson = JSON.stringify(trading);
      if (tradingJson !== lastTrading) {
        // Stored before the book (a book the store refuses leaves the change stored), as a change
        // in force from these marks: a crash before the book lands applies it where it was taken.
        const own = { at: decided ?? [], trading };
        const others = changes?.trading() ?? [];
        const pending = [...others.filter((c) => c.trading.seq < trading.seq), ...(others.some((c) => c.trading.seq === trading.seq) ? [] : [own]), ...others.filter((c) => c.trading.seq >= trading.seq)];
        await store.saveTrading(core.account, { ...trading, pending }, now);
        lastTrading = tradingJson;
        tradingStored?.(trading);
      }
      await store.saveBook(core.account, book, now);
      changes?.covered(trading.seq, decided ?? []);
    };
  };
}

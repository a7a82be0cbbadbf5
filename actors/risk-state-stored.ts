import { riskStateId } from '../models/risk/risk-core.js';
import type { RiskState } from '../streams/messages/risk-state.js';

/**
 * Says when the account's state last announced `stored: false` on `sx.risk.state` is stored after
 * all. Such a change is in force in memory and is stored by a later write of the trading state: a
 * retry of the decision path's risk write, its next checkpoint, the risk actor's next write (the
 * next batch or mark after a failed one, a later command). Without a word then, dashboards and
 * consumers kept saying "not stored" for as long as the state held.
 *
 * `announced`: every risk.state announcement of the account, by whoever made it (the risk actor,
 * the decision path). `stored`: a trading snapshot the store took. When that snapshot is the
 * change last announced (its `seq` gives that change's id, `riskStateId`) and that announcement
 * said `stored: false`, the same change is announced again with `stored: true` (`reannounce`):
 * same id, same fields. Only the last announcement is, so a state that moved on is never shown
 * again; a write of an older state, or of one not announced yet, says nothing.
 */
export type RiskStateStored = Readonly<{
  announced(st: RiskState): void;
  stored(trading: Readonly<{ seq: number }>): void;
}>;

export function createRiskStateStored(account: string, reannounce: (st: RiskState) => void): RiskStateStored {
  let last: RiskState | undefined;
  /** The id of the newest change whose trading snapshot the store took. */
  let storedId: string | undefined;
  const settle = (): void => {
    if (last?.stored !== false || last.id !== storedId) return;
    last = { ...last, stored: true };
    reannounce(last);
  };
  return {
    announced: (st) => {
      if (st.account !== account) return;
      last = st;
      // A write of it ended before the announcement it failed (the book's part of the same write failed, say).
      settle();
    },
    stored: (trading) => {
      storedId = riskStateId(account, trading.seq);
      settle();
    },
  };
}

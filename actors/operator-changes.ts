import type { TradingSnapshot } from '../models/risk/risk-core.js';
import type { RiskLimits } from '../models/risk/risk-limits.js';
import type { Logger } from '../state/logger.js';
import type { DecidedMark } from './decided-marks.js';
import type { AssetEvent } from './event-sequencer.js';

/**
 * An operator's change of the trading state (halt, resume, reduce-only, and the halt a lowered loss
 * limit causes) or of the limits, with the point in the decided stream where it took effect: `at`,
 * the decision path's marks when it was put in force (`DecidedMarks.snapshot`). Each holds the
 * whole state after the change, so applying a change again is harmless.
 */
export type TradingChange = Readonly<{ at: readonly DecidedMark[]; trading: TradingSnapshot }>;
export type LimitsChange = Readonly<{ at: readonly DecidedMark[]; limits: RiskLimits }>;

/**
 * The operator's changes not yet covered by a risk-book write, in the order they were made. The
 * decision path decides from the book row's trading state and limits (taken with the book,
 * cli/risk-persist.ts); a change made after that write is stored at once in the trading or limits
 * row with this list (`pending`), so that after a crash the events the first run decided before
 * it are decided again under the state before it, and those after under it
 * (`createDueChanges`). A trading change is covered once a book write holds its `seq`; a limits
 * change once a book write's marks are past its `at` for some asset (they were taken after it).
 */
export type OperatorChanges = Readonly<{
  trading(): readonly TradingChange[];
  limits(): readonly LimitsChange[];
  addTrading(c: TradingChange): void;
  addLimits(c: LimitsChange): void;
  /** Takes `c` back out (its write failed, or the command is decided again). */
  remove(c: TradingChange | LimitsChange): void;
  /** Puts `next` in the place of `c` (a change in force only once stored: where it took effect, once stored). */
  replace<C extends TradingChange | LimitsChange>(c: C, next: C): void;
  /** A book write holding trading `seq`, taken at `marks`, was stored: the changes it covers are dropped. */
  covered(seq: number, marks: readonly DecidedMark[]): void;
}>;

/** Whether marks `m` were taken after `at`: some asset's mark is past its mark in `at` (marks only grow). */
export function after(m: readonly DecidedMark[], at: readonly DecidedMark[]): boolean {
  const seqs = new Map(at.map(([a, seq]) => [a, seq]));
  return m.some(([a, seq]) => seq > (seqs.get(a) ?? -1));
}

/** Whether two sets of marks are the same (no event decided between them). */
export function sameMarks(a: readonly DecidedMark[], b: readonly DecidedMark[]): boolean {
  return a.length === b.length && !after(a, b) && !after(b, a);
}

export function createOperatorChanges(restored?: Readonly<{ trading: readonly TradingChange[]; limits: readonly LimitsChange[] }>): OperatorChanges {
  let trading: TradingChange[] = [...(restored?.trading ?? [])];
  let limits: LimitsChange[] = [...(restored?.limits ?? [])];
  return {
    trading: () => trading,
    limits: () => limits,
    addTrading: (c) => {
      trading = [...trading, c];
    },
    addLimits: (c) => {
      limits = [...limits, c];
    },
    remove: (c) => {
      trading = trading.filter((x) => x !== c);
      limits = limits.filter((x) => x !== c);
    },
    replace: (c, next) => {
      trading = trading.map((x) => (x === c ? (next as TradingChange) : x));
      limits = limits.map((x) => (x === c ? (next as LimitsChange) : x));
    },
    covered: (seq, marks) => {
      if (trading.length > 0) trading = trading.filter((c) => c.trading.seq > seq);
      if (limits.length > 0) limits = limits.filter((c) => !after(marks, c.at));
    },
  };
}

/**
 * After a restart, the stored changes not covered by the restored book, applied by the decision
 * path each just before the first event past its `at` (per asset, as `DecidedMarks.before`), or as
 * soon as the decided marks reach its `at` (`reached`), whichever comes first: the redelivered
 * events before it are decided again as the first run decided them, and the change is in force
 * from where it was. One check per event while any is left, none after.
 *
 * A change whose mark for an asset cannot be reached any more is put in force without it: for an
 * asset no longer configured (its symbol removed), the other assets' marks say where (at start, when
 * there are no others); for an asset whose stream was rebuilt between the runs (its sequences
 * started again: an event at or below the change's sequence but newer than every event decided up
 * to it, or its restored mark dropped as rebuilt, `rebuilt`), at once, before that event is
 * decided. Each with a warning. Before, such a change was put in force only by an event of another
 * asset past its mark or by the next command (after its 5 s wait): the rebuilt stream's events,
 * market data the first run never decided, were decided and their orders published under the state
 * before it (a halt, lowered limits).
 */
export type DueChanges = Readonly<{
  at(e: AssetEvent): void;
  /**
   * The stream of `asset` was rebuilt (its decided mark dropped: actors/decided-marks.ts): every
   * change naming it, and those before it, is put in force now, before its events are decided.
   */
  rebuilt(asset: string): void;
  /**
   * The decision path has decided every asset up to `marks` (the restored ones at start, its own
   * after each slice): a change whose `at` they reach for every asset in it is put in force now.
   * The first run put it in force at exactly that point, and every later event is past it: waiting
   * for one left a change given once everything was decided (a quiet market) out of force after a
   * crash until new market data or a command came, `ctl status` showing ACTIVE after a halt.
   */
  reached(marks: readonly DecidedMark[]): void;
  /**
   * The assets whose marks in a pending change `marks` (the decided ones) have not reached: what
   * the change still waits for, asset by asset.
   */
  awaiting(marks: readonly DecidedMark[]): readonly string[];
  /**
   * Nothing of `asset` is left to be delivered again (its consumer has nothing pending or
   * unacknowledged: the caller's word, read from the consumer), while its mark in a pending change
   * is past `marks`: the events of it the first run decided up to there are gone from its stream
   * (rebuilt or purged between the runs), so no redelivered event reaches that mark. It is left
   * out of the changes (with a warning), which are in force once the other assets are decided up to
   * theirs (`reached`), and before the next event of `asset`, new market data. Before, a rebuilt
   * stream that stayed quiet kept the change pending, and `ctl status` showing the state before it,
   * until an event of it (or of another asset past its mark) or a command came.
   */
  caughtUp(asset: string, marks: readonly DecidedMark[]): void;
  pending(): boolean;
  /**
   * Puts every change still pending in force now, in order: an operator's command arriving while
   * they wait (just after a restart) acts on the newest stored state, never on an older one that a
   * pending change would then overwrite (a halt given now undone by a resume stored before the
   * crash; limits set now replaced by older ones). The events still to be decided again are then
   * decided under that newer state: the operator's command takes precedence over reproducing the
   * first run.
   */
  flush(): void;
}>;

const passed = (at: readonly DecidedMark[], e: AssetEvent): boolean => {
  for (const [asset, seq] of at) if (asset === e.asset) return e.streamSeq > seq;
  return true;
};

/**
 * Whether `e` is of a stream rebuilt since `at` was taken: at or below its asset's sequence there,
 * but newer than every event decided up to it (as `DecidedMarks.before` tells one).
 */
const rebuiltSince = (at: readonly DecidedMark[], e: AssetEvent): boolean => {
  for (const [asset, seq, ts] of at) if (asset === e.asset) return e.streamSeq <= seq && e.md.ts > ts;
  return false;
};

/** Whether `marks` are at or past `at` for every asset in `at` (an asset without a mark has not reached it). */
const reachedBy = (at: readonly DecidedMark[], marks: readonly DecidedMark[]): boolean => {
  const seqs = new Map(marks.map(([a, seq]) => [a, seq]));
  return at.every(([a, seq]) => (seqs.get(a) ?? -1) >= seq);
};

const names = (at: readonly DecidedMark[], asset: string): boolean => at.some(([a]) => a === asset);

/** The assets in `at` whose marks `marks` have not reached. */
const unreached = (at: readonly DecidedMark[], marks: readonly DecidedMark[]): string[] => {
  const seqs = new Map(marks.map(([a, seq]) => [a, seq]));
  return at.filter(([a, seq]) => (seqs.get(a) ?? -1) < seq).map(([a]) => a);
};

/**
 * `restored`: the changes (cli/restored-operator-state.ts). `assets`: the asset actors' keys of the
 * configured assets; a change's mark for any other asset is left out (it cannot be reached), with
 * a warning. Absent: every asset is taken as configured.
 */
export function createDueChanges(
  restored: Readonly<{ trading: readonly TradingChange[]; limits: readonly LimitsChange[] }>,
  apply: Readonly<{ trading(t: TradingSnapshot): void; limits(l: RiskLimits): void }>,
  opts: Readonly<{ assets?: readonly string[]; log?: Logger }> = {},
): DueChanges {
  const configured = opts.assets === undefined ? undefined : new Set(opts.assets);
  const gone = new Set<string>();
  const reachable = <C extends TradingChange | LimitsChange>(c: C): C => {
    if (configured === undefined) return c;
    const left = c.at.filter(([a]) => configured.has(a));
    if (left.length === c.at.length) return c;
    for (const [a] of c.at) if (!configured.has(a)) gone.add(a);
    return { ...c, at: left };
  };
  const trading = restored.trading.map(reachable);
  const limits = restored.limits.map(reachable);
  if (gone.size > 0) {
    opts.log?.warn(
      { assets: [...gone] },
      `an operator's change stored before the restart took effect at a point of ${[...gone].join(', ')}, no longer configured: that mark cannot be reached, so the change is in force once the other assets are decided up to theirs (at start, when it names no other)`,
    );
  }
  let left = trading.length + limits.length;
  /** Puts in force every change up to the last one naming `asset`, in order, and says why. */
  const rebuilt = (asset: string, why: string): void => {
    const t = trading.findLastIndex((c) => names(c.at, asset));
    const l = limits.findLastIndex((c) => names(c.at, asset));
    if (t < 0 && l < 0) return;
    opts.log?.warn(
      { asset, trading: t + 1, limits: l + 1 },
      `${why}: the point where an operator's change stored before the restart took effect cannot be reached on it, so the change is in force now, before its events are decided (not after them, as for events the first run decided before it)`,
    );
    for (const c of trading.splice(0, t + 1)) apply.trading(c.trading);
    for (const c of limits.splice(0, l + 1)) apply.limits(c.limits);
    left = trading.length + limits.length;
  };
  return {
    at: (e) => {
      if (left === 0) return;
      if (trading.some((c) => rebuiltSince(c.at, e)) || limits.some((c) => rebuiltSince(c.at, e))) {
        rebuilt(e.asset, `the market data of ${e.asset} at stream sequence ${e.streamSeq} is newer than everything decided up to there before the restart: its stream was rebuilt (sequences started again)`);
      }
      while (trading.length > 0 && passed(trading[0]!.at, e)) apply.trading(trading.shift()!.trading);
      while (limits.length > 0 && passed(limits[0]!.at, e)) apply.limits(limits.shift()!.limits);
      left = trading.length + limits.length;
    },
    rebuilt: (asset) => {
      if (left === 0) return;
      rebuilt(asset, `the stream of ${asset} was rebuilt (sequences started again) since the restored risk book was written`);
    },
    reached: (marks) => {
      if (left === 0) return;
      while (trading.length > 0 && reachedBy(trading[0]!.at, marks)) apply.trading(trading.shift()!.trading);
      while (limits.length > 0 && reachedBy(limits[0]!.at, marks)) apply.limits(limits.shift()!.limits);
      left = trading.length + limits.length;
    },
    awaiting: (marks) => {
      if (left === 0) return [];
      const out = new Set<string>();
      for (const c of [...trading, ...limits]) for (const a of unreached(c.at, marks)) out.add(a);
      return [...out];
    },
    caughtUp: (asset, marks) => {
      if (left === 0) return;
      let dropped = 0;
      const without = <C extends TradingChange | LimitsChange>(c: C): C => {
        if (!unreached(c.at, marks).includes(asset)) return c;
        dropped++;
        return { ...c, at: c.at.filter(([a]) => a !== asset) };
      };
      trading.splice(0, trading.length, ...trading.map(without));
      limits.splice(0, limits.length, ...limits.map(without));
      if (dropped === 0) return;
      opts.log?.warn(
        { asset, changes: dropped },
        `nothing of ${asset} is left to be delivered again, short of where an operator's change stored before the restart took effect on it: its stream no longer holds those events (rebuilt or purged since), so the change is in force once the other assets are decided up to theirs, without waiting for new market data of ${asset}`,
      );
    },
    pending: () => left > 0,
    flush: () => {
      if (left === 0) return;
      for (const c of trading.splice(0)) apply.trading(c.trading);
      for (const c of limits.splice(0)) apply.limits(c.limits);
      left = 0;
    },
  };
}

/** The limits stored in the limits row, without the pending changes stored beside them. */
export function storedLimitsOf(row: unknown): unknown {
  if (typeof row !== 'object' || row === null || !('pending' in row)) return row;
  const { pending: _pending, ...limits } = row;
  return limits;
}

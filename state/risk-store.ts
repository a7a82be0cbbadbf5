/**
 * Where the risk actor keeps what must survive a restart, per account: its limits, its trading
 * state with scoped halts (a HALTED account comes back HALTED), and a snapshot of its book
 * (positions, orders in flight, PnL marks, seen ids). The three are written separately: an
 * operator halt or a limit change is stored at once, the book after each handled batch.
 * Values are plain JSON; the risk core validates them when it loads them.
 */
export type StoredRisk = Readonly<{
  limits: unknown;
  trading: unknown;
  book: unknown;
}>;

/**
 * How long a write may wait (for a lock another session holds, behind a slow statement) before it
 * fails with nothing stored: an operator's command answers that it was not done instead of waiting
 * for ever. Left out: no bound (the decision path's writes, which wait the store out).
 */
export type WriteBound = Readonly<{
  timeoutMs: number;
  /**
   * The time left for the write once it has a connection (read then; the wait for a pooled one is
   * not in `timeoutMs`): at or below 0 the write is given up, nothing sent; else its bound is the
   * lesser of the two. An operator's command answered as not done by its deadline must not be
   * stored after that answer because its connection came late.
   */
  remainingMs?: () => number;
}>;

export type RiskStore = {
  /** The store as a message names it (`PostgreSQL (the risk store)`): an error whose retries ran out says what failed. */
  readonly label?: string;
  /** What is stored for `account`; each part undefined when never written. */
  load(account: string): Promise<Partial<StoredRisk>>;
  saveLimits(account: string, limits: unknown, at: number, bound?: WriteBound): Promise<void>;
  /**
   * Stores the trading state unless the stored one is newer (a higher `seq`, which the risk core
   * bumps at every change): the operator's halt and the decision path's deferred write of the state
   * before it may reach the store in either order, and the halt must be what stays.
   */
  saveTrading(account: string, trading: unknown, at: number, bound?: WriteBound): Promise<void>;
  saveBook(account: string, book: unknown, at: number): Promise<void>;
  /** Forgets everything stored for `account` (demo resets; never on a live account). */
  clear(account: string): Promise<void>;
  close(): Promise<void>;
};

/** A trading snapshot's `seq` (0 when it has none): the order of trading states. */
export const tradingSeq = (trading: unknown): number =>
  typeof trading === 'object' && trading !== null && 'seq' in trading && typeof trading.seq === 'number' ? trading.seq : 0;

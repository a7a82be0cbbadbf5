/** Store errors say whether a retry can help (a dropped connection can; a bad query cannot). */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The store could not be reached at start; callers may retry or fall back to memory. */
export class StoreConnectError extends StoreError {
  override readonly name = 'StoreConnectError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/**
 * A store error that a setting other than the store's address answers for: a bound the store
 * waited out (`postgres.migrationTimeoutMs` for the start-up's migrations). `setting` names it, so
 * that a start-up error says what to change, not the store's URL, which is fine.
 */
export class StoreBoundError extends StoreError {
  // Named as any StoreError: what it says and how it is retried are the same; only the hint differs.
  constructor(
    message: string,
    retryable: boolean,
    readonly setting: string,
    options?: { cause?: unknown },
  ) {
    super(message, retryable, options);
  }
}

/**
 * A write given up on while it was under way: the store has not answered it, and may still take it
 * (its statements sent, a commit on its way). Not "nothing stored": whoever is told must not be told
 * it was not done (`sextant ctl resume` past its deadline says the resume is not confirmed).
 */
export class StoreUnconfirmedError extends StoreError {}

export const isStoreError = (e: unknown): e is StoreError => e instanceof StoreError;

/** True for a store error that a later attempt may not hit (connection loss, failover, timeouts). */
export const isRetryableStoreError = (e: unknown): boolean => isStoreError(e) && e.retryable;

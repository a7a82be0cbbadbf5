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

export const isStoreError = (e: unknown): e is StoreError => e instanceof StoreError;

/** True for a store error that a later attempt may not hit (connection loss, failover, timeouts). */
export const isRetryableStoreError = (e: unknown): boolean => isStoreError(e) && e.retryable;

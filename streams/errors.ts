/**
 * Bus errors carry whether a retry can help, so callers decide without parsing messages:
 * a timeout or a lost connection is worth retrying; a missing stream or a closed bus is not.
 */
export class BusError extends Error {
  override readonly name: string = 'BusError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server could not be reached at start-up: retry later, or fall back to the in-process bus. */
export class BusConnectError extends BusError {
  override readonly name = 'BusConnectError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** No acknowledgement in time (slow server, lost connection): the message may or may not be stored. Retry with the same msgId. */
export class BusTimeoutError extends BusError {
  override readonly name = 'BusTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** The bus was closed: nothing more can be published or consumed on it. */
export class BusClosedError extends BusError {
  override readonly name = 'BusClosedError';
  constructor(message = 'bus is closed') {
    super(message, false);
  }
}

/** A stream the operation needs does not exist (not provisioned, or deleted). */
export class StreamNotFoundError extends BusError {
  override readonly name = 'StreamNotFoundError';
  constructor(
    readonly stream: string,
    options?: { cause?: unknown },
  ) {
    super(`stream ${stream} does not exist`, false, options);
  }
}

/** Nobody serves the subject of a request (the engine is not running, or lacks permission to answer). */
export class NoResponderError extends BusError {
  override readonly name = 'NoResponderError';
  constructor(readonly subject: string, options?: { cause?: unknown }) {
    super(`no responder for ${subject}`, true, options);
  }
}

export const isBusError = (e: unknown): e is BusError => e instanceof BusError;

/** True for bus errors that say a retry can help; false for anything else. */
export const isRetryable = (e: unknown): boolean => e instanceof BusError && e.retryable;

/**
 * The NATS server refused this login an operation on `subject` (deploy/nats/sextant.conf gives each
 * user its own): not retryable, the login or its permissions must change. `user`: the NATS user the
 * connection logged in as; undefined for a connection without one.
 */
abstract class PermissionRefusedError extends BusError {
  constructor(
    readonly subject: string,
    readonly user: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, false, options);
  }
}

/** The server refused a core subscription to `subject`: nothing sent there reaches this process. */
export class SubscriptionRefusedError extends PermissionRefusedError {
  override readonly name = 'SubscriptionRefusedError';
}

/**
 * The server refused the JetStream API call that creates or updates `stream` (its login may not
 * publish to `subject`, `$JS.API.STREAM.CREATE.<stream>`: deploy/nats/sextant.conf gives that to
 * the engine user only).
 */
export class StreamRefusedError extends PermissionRefusedError {
  override readonly name = 'StreamRefusedError';
  constructor(
    readonly stream: string,
    subject: string,
    user: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(subject, user, message, options);
  }
}

/** The server refused a request's publish to `subject` (the desk's login asked on sx.engine.presence). */
export class PublishRefusedError extends PermissionRefusedError {
  override readonly name = 'PublishRefusedError';
}

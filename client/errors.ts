/** A message or call the client refused, with a detail naming the offending field. Not retryable. */
export class ClientValidationError extends Error {
  override readonly name = 'ClientValidationError';
  readonly retryable = false;
}

/** The durable exists with a configuration this subscription cannot use (another filter, push delivery). */
export class DurableConflictError extends Error {
  override readonly name = 'DurableConflictError';
  readonly retryable = false;
}

/**
 * No JetStream stream takes the subject, or the stream named does not exist: almost always a
 * `prefix` or `stream` that is not the engine's (config `prefix`, `streamNamePrefix` + `SIGNALS`),
 * or an engine that has not provisioned its streams yet. nats.js reports the first as "jetstream
 * is not enabled" and the second as "stream not found", naming neither.
 */
export class NoStreamError extends Error {
  override readonly name = 'NoStreamError';
  readonly retryable = false;
}

/** nats.js's answer to a JetStream publish that no stream captured (its 503 "no responders"). */
export const isNoStreamForSubject = (e: unknown): boolean => e instanceof Error && e.name === 'JetStreamNotEnabled';
/** nats.js's answer to a consumer lookup on a stream that does not exist. */
export const isStreamNotFound = (e: unknown): boolean => e instanceof Error && e.name === 'StreamNotFoundError';

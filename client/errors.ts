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

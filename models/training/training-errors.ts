/** A training job ended because it was cancelled; not a failure, and retrying is the caller's choice. */
export class TrainingCancelledError extends Error {
  override readonly name = 'TrainingCancelledError';
  readonly retryable = false;
}

/** A training job failed (bad spec, diverged fit, export refused, the worker died). */
export class TrainingJobError extends Error {
  override readonly name = 'TrainingJobError';
  /** A dead worker may succeed on a fresh one; a failure inside the training code will not. */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.retryable = retryable;
  }
}

export const isTrainingCancelled = (e: unknown): e is TrainingCancelledError => e instanceof TrainingCancelledError;

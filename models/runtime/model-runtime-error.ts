/** Why a runtime call failed; the code decides the reaction, `retryable` whether trying again can help. */
export const ModelRuntimeErrorCode = {
  /** The model could not be read or parsed, or uses an operator the runtime lacks. */
  loadFailed: 'LOAD_FAILED',
  /** The model's interface does not fit the port (e.g. more than one input). */
  unsupportedModel: 'UNSUPPORTED_MODEL',
  /** `run` was called with a malformed batch. */
  badInput: 'BAD_INPUT',
  /** The engine failed while scoring. */
  runFailed: 'RUN_FAILED',
  /** The runtime was disposed. */
  disposed: 'DISPOSED',
  /** The inference worker died; a freshly created runtime may work. */
  workerExited: 'WORKER_EXITED',
} as const;
export type ModelRuntimeErrorCode = (typeof ModelRuntimeErrorCode)[keyof typeof ModelRuntimeErrorCode];

const RETRYABLE: ReadonlySet<ModelRuntimeErrorCode> = new Set([ModelRuntimeErrorCode.workerExited]);

/**
 * A model runtime failure. Only a dead worker is retryable (by loading the model again): the
 * same bytes, batch and engine fail the same way every time otherwise.
 */
export class ModelRuntimeError extends Error {
  override readonly name = 'ModelRuntimeError';
  readonly code: ModelRuntimeErrorCode;
  readonly retryable: boolean;

  constructor(code: ModelRuntimeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}

export const isModelRuntimeError = (e: unknown): e is ModelRuntimeError => e instanceof ModelRuntimeError;

/** The plain-data form an error takes across a worker boundary (class identity does not survive structured clone). */
export type SerializedRuntimeError = Readonly<{ code: ModelRuntimeErrorCode; message: string }>;

export function serializeRuntimeError(e: unknown, fallback: ModelRuntimeErrorCode): SerializedRuntimeError {
  if (isModelRuntimeError(e)) return { code: e.code, message: e.message };
  return { code: fallback, message: e instanceof Error ? e.message : String(e) };
}

export const deserializeRuntimeError = (s: SerializedRuntimeError): ModelRuntimeError => new ModelRuntimeError(s.code, s.message);

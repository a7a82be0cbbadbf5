/**
 * A graph that cannot be written as asked: an undefined input, a duplicate name, mismatched
 * layer sizes, non-finite weights. Never retryable: exporting the same model again fails the
 * same way; the model or the exporter call has to change.
 */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';
  readonly retryable = false;
}

export const isOnnxExportError = (e: unknown): e is OnnxExportError => e instanceof OnnxExportError;

/**
 * A historical file that cannot be read as asked: missing, an unknown header, or a bad row.
 * Never retryable: reading the same bytes again gives the same answer. `file` and `line`
 * (1-based, the header is line 1) point at the culprit so an operator can open it.
 */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly retryable = false;
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, reason: string, options?: ErrorOptions) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`, options);
    this.file = file;
    this.line = line;
  }
}

export const isSourceError = (e: unknown): e is SourceError => e instanceof SourceError;

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
  /** A bad row's text as the file holds it (what a dead-letter entry carries), when it is one. */
  readonly row: string | undefined;

  constructor(file: string, line: number | undefined, reason: string, options?: ErrorOptions & Readonly<{ row?: string }>) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.row = options?.row;
  }
}

export const isSourceError = (e: unknown): e is SourceError => e instanceof SourceError;

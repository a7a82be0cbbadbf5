import { createReadStream } from 'node:fs';
import { SourceError } from './source-error.js';

/** Consecutive lines of a file; `firstLine` is the 1-based number of `lines[0]`. */
export type LineBatch = Readonly<{ lines: readonly string[]; firstLine: number }>;

/**
 * 64 KiB reads (~800 OHLCV rows): big enough that per-chunk overhead vanishes, small enough that
 * a chunk's messages are consumed before the young-generation GC runs. With 1 MiB chunks the
 * ~12k messages of a batch survived scavenges and GC took a quarter of the read time.
 */
const CHUNK_BYTES = 64 * 1024;
const CR = 13;
/**
 * No CSV row of market data comes near this: a longer line is a file that is not rows of text
 * (or whose lines end in CR alone), and holding it whole would take the process's memory.
 */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Streams a text file as batches of lines (one batch per chunk read), without the line
 * terminators (`\n` or `\r\n`). Batches instead of single lines because an async step per line
 * costs more than the parsing itself; `readline` is several times slower for the same reason.
 * A last line without a terminator is still yielded. Closing the iterator early closes the file.
 */
export async function* readLineBatches(path: string): AsyncGenerator<LineBatch> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let carry = '';
  let next = 1;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = carry.length === 0 ? chunk : carry + chunk;
      const lines: string[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl));
        start = nl + 1;
      }
      carry = text.slice(start);
      if (lines.length > 0) {
        yield { lines, firstLine: next };
        next += lines.length;
      }
      if (carry.length > MAX_LINE_CHARS) {
        throw new SourceError(path, next, `line runs past ${MAX_LINE_CHARS} characters without a line break: not a CSV file of rows (if its lines end in CR alone, convert them to \\n, e.g. tr '\\r' '\\n')`);
      }
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(path, undefined, `cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    stream.destroy();
  }
  if (carry.length > 0) yield { lines: [carry.charCodeAt(carry.length - 1) === CR ? carry.slice(0, -1) : carry], firstLine: next };
}

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { JSONParser } from '@streamparser/json';
import { SourceError } from './source-error.js';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const LEFT_BRACKET = 0x5b;

/**
 * The rows of a freqtrade `json` / `jsongz` OHLCV file (a JSON array of `[date, open, high, low,
 * close, volume]` rows, pandas' `orient="values"`), as they are parsed, a chunk of the file at a
 * time: a file is never held whole (two years of 1m candles, 1M rows, held 660 MB of memory read
 * whole). `@streamparser/json` parses the chunks (pure JS, no dependencies, types of its own; its
 * numbers are what `JSON.parse` gives). A file that is not JSON, or whose top level is not an
 * array, is a {@link SourceError} naming it; the rows before a syntax error have been given.
 * Breaking off (a window's end) closes the file.
 */
export async function* jsonRowChunks(path: string, gzipped: boolean): AsyncGenerator<readonly unknown[]> {
  const file = createReadStream(path);
  const source: Readable = gzipped ? file.pipe(createGunzip()) : file;
  // A read error of the file itself does not pass through pipe(): end the gunzip stream with it.
  if (gzipped) file.once('error', (e) => source.destroy(e));
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  let rows: unknown[] = [];
  parser.onValue = ({ value }) => {
    rows.push(value);
  };
  let opened = false;
  try {
    for await (const chunk of source) {
      const bytes = chunk as Buffer;
      if (!opened) {
        const first = bytes.findIndex((b) => !WHITESPACE.has(b));
        if (first === -1) continue;
        if (bytes[first] !== LEFT_BRACKET) throw new SourceError(path, undefined, 'not a freqtrade OHLCV JSON file: expected an array of [date, open, high, low, close, volume] rows');
        opened = true;
      }
      parse(path, () => parser.write(bytes));
      if (rows.length > 0) {
        yield rows;
        rows = [];
      }
    }
    if (!opened) throw new SourceError(path, undefined, 'not JSON: the file is empty');
    if (!parser.isEnded) parse(path, () => parser.end());
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(path, undefined, `cannot read as ${gzipped ? 'jsongz' : 'json'}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    source.destroy();
    file.destroy();
  }
}

function parse(path: string, step: () => void): void {
  try {
    step();
  } catch (e) {
    throw new SourceError(path, undefined, `not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { writeFeaturesCsv } from '../../gateways/features-csv.js';
import { readBars } from '../../gateways/historical/bars-csv.js';

/**
 * `sextant features --bars <csv>`: every feature column for each bar of an OHLCV CSV, computed
 * by the same FeatureEngine the asset actor runs. With `--out`, the rows go to a file beside it
 * that is renamed into place once every bar was read: a bad row (named with its file and line)
 * left the rows before it in `--out`, a file that read as the features of a shorter history.
 */
export async function runFeatures(opts: Readonly<{ bars: string; out?: string }>): Promise<number> {
  const bars = readBars(opts.bars, { venue: 'file', symbol: 'FILE/FILE', tf: '1h' });
  if (opts.out === undefined) return writeFeaturesCsv(bars, process.stdout);
  const partial = `${opts.out}.partial-${process.pid}`;
  const out = createWriteStream(partial);
  // A folder that does not exist (or cannot be written) failed as an unhandled 'error' event, a
  // crash with a stack trace naming the hidden partial file; a write error later (a full disk)
  // would too. The open is awaited, and an error is kept for `finished` to throw.
  let writeError: Error | undefined;
  out.on('error', (e) => (writeError = e));
  try {
    await once(out, 'open');
  } catch (e) {
    throw new Error(`cannot write --out ${opts.out}: ${(e as Error).message.replace(partial, opts.out)}`);
  }
  try {
    const rows = await writeFeaturesCsv(bars, out);
    out.end();
    await finished(out);
    await rename(partial, opts.out);
    process.stderr.write(`wrote ${rows} rows to ${opts.out}\n`);
    return rows;
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw writeError !== undefined ? new Error(`cannot write --out ${opts.out}: ${writeError.message}`) : e;
  }
}

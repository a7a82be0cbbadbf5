import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { writeFeaturesCsv } from '../../gateways/features-csv.js';
import { readBars } from '../../gateways/historical/bars-csv.js';

/**
 * `sextant features --bars <csv>`: every feature column for each bar of an OHLCV CSV, computed
 * by the same FeatureEngine the asset actor runs.
 */
export async function runFeatures(opts: Readonly<{ bars: string; out?: string }>): Promise<number> {
  const bars = readBars(opts.bars, { venue: 'file', symbol: 'FILE/FILE', tf: '1h' });
  if (opts.out === undefined) return writeFeaturesCsv(bars, process.stdout);
  const out = createWriteStream(opts.out);
  const rows = await writeFeaturesCsv(bars, out);
  out.end();
  await finished(out);
  process.stderr.write(`wrote ${rows} rows to ${opts.out}\n`);
  return rows;
}

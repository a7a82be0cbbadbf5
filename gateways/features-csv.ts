import { once } from 'node:events';
import { FeatureEngine } from '../models/features/feature-engine.js';
import type { BarInput } from '../models/features/feature-engine.js';

/** Rows buffered per write: one syscall-sized chunk instead of one write per bar. */
const ROWS_PER_CHUNK = 512;

/**
 * Writes every feature column for each bar as CSV: a header `timestamp,<FeatureEngine.names>`,
 * then one row per bar, in input order. Null features are empty cells; numbers are written with
 * `String(n)`, the shortest text that parses back to the same double, so the file holds exactly
 * what the engine computed. The bars go through the same FeatureEngine the asset actor runs.
 *
 * Honours back-pressure (waits for 'drain') and does not end `out`: the caller owns the stream.
 * Resolves with the number of rows written (the header not counted).
 */
export async function writeFeaturesCsv(
  bars: AsyncIterable<BarInput> | Iterable<BarInput>,
  out: NodeJS.WritableStream,
): Promise<number> {
  const engine = new FeatureEngine();
  const row = new Float64Array(FeatureEngine.names.length);
  let chunk = `timestamp,${FeatureEngine.names.join(',')}\n`;
  let pending = 0;
  let rows = 0;

  const flush = async (): Promise<void> => {
    const text = chunk;
    chunk = '';
    pending = 0;
    if (!out.write(text)) await once(out, 'drain');
  };

  for await (const bar of bars) {
    engine.onBar(bar);
    engine.fill(row);
    let line = String(bar.ts);
    for (let i = 0; i < row.length; i++) {
      const x = row[i]!;
      line += Number.isFinite(x) ? `,${String(x)}` : ',';
    }
    chunk += `${line}\n`;
    rows++;
    if (++pending >= ROWS_PER_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return rows;
}

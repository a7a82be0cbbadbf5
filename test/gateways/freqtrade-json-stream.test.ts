import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readBarBatches } from '../../gateways/historical/bars-csv.js';
import { SourceError } from '../../gateways/historical/source-error.js';
import type { Bar } from '../../streams/messages/bar.js';

const tmp = mkdtempSync(join(tmpdir(), 'sextant-ftjson-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2023, 0, 1);
/** `n` hourly rows as freqtrade's json format holds them: `[date ms, open, high, low, close, volume]`. */
const rowsOf = (n: number): number[][] => Array.from({ length: n }, (_, i) => [T0 + i * HOUR, 100 + i, 101 + i, 99 + i, 100.5 + i, 1 + (i % 7)]);

/** Every batch the reader gives before it ends or throws, and what it threw. */
async function batchesOf(path: string): Promise<{ bars: Bar[][]; error: unknown }> {
  const bars: Bar[][] = [];
  try {
    for await (const b of readBarBatches(path, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h' })) bars.push(b);
  } catch (e) {
    return { bars, error: e };
  }
  return { bars, error: undefined };
}

describe('freqtrade json files are parsed as they are read', () => {
  // 20,000 rows: a 1 MB file, read in many chunks, and more than two of the reader's batches.
  const rows = rowsOf(20_000);
  const text = JSON.stringify(rows);

  it.each([
    ['json', text],
    ['json.gz', gzipSync(text)],
  ] as const)('%s: a file cut off (a download that stopped) gives its bars up to the cut, then an error naming it', async (ext, body) => {
    const cut = text.slice(0, Math.floor(text.length * 0.75));
    const path = join(tmp, `BTC_USDT-1h.${ext}`);
    writeFileSync(path, ext === 'json' ? cut : gzipSync(cut));
    const { bars, error } = await batchesOf(path);
    // Read whole, the file was refused before its first bar.
    expect(bars.length).toBeGreaterThan(0);
    const flat = bars.flat();
    expect(flat.map((b) => [b.ts, b.open, b.high, b.low, b.close, b.volume])).toEqual(rows.slice(0, flat.length));
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(new RegExp(`^${path}: not JSON: `));
    // And whole, the same file gives every row.
    writeFileSync(path, body);
    const all = await batchesOf(path);
    expect(all.error).toBeUndefined();
    expect(all.bars.flat().map((b) => b.ts)).toEqual(rows.map((r) => r[0]));
  });

  it('a file that is empty, or whose top level is not an array of rows, is refused by name', async () => {
    const path = join(tmp, 'ETH_USDT-1h.json');
    for (const [body, why] of [
      ['', 'not JSON: the file is empty'],
      ['  \n', 'not JSON: the file is empty'],
      [JSON.stringify({ data: rows.slice(0, 3) }), 'not a freqtrade OHLCV JSON file: expected an array of [date, open, high, low, close, volume] rows'],
      ['[[1,2]] [[3,4]]', 'not JSON: '],
    ] as const) {
      writeFileSync(path, body);
      const { bars, error } = await batchesOf(path);
      expect(error, body).toBeInstanceOf(SourceError);
      expect((error as Error).message).toContain(`${path}: ${why}`);
      expect(bars.flat().length).toBe(0);
    }
  });

  it('a window read stops at its end', async () => {
    const path = join(tmp, 'SOL_USDT-1h.json');
    writeFileSync(path, text);
    const got: Bar[] = [];
    for await (const b of readBarBatches(path, { venue: 'binance', symbol: 'SOL/USDT', tf: '1h', from: T0 + 10 * HOUR, to: T0 + 15_000 * HOUR })) got.push(...b);
    expect(got.map((b) => b.ts)).toEqual(rows.slice(10, 15_000).map((r) => r[0]));
  });
});

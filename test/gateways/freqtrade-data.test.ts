import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compressionRegistry, CompressionType, Float64, makeVector, RecordBatchFileWriter, Table, TimestampNanosecond, tableToIPC, vectorFromArray } from 'apache-arrow';
import { compressFrameSync } from 'lz4-napi';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirError, findBarFiles, findBarFilesUnder, requireDataDir, venueOfBarFile } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'sextant-freqtrade-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** As pandas' to_feather(compression="lz4") writes freqtrade's frame: date a UTC nanosecond timestamp, float64 prices. */
function featherOf(bars: readonly Bar[]): Uint8Array {
  const t = new Table({
    date: vectorFromArray(bars.map((b) => b.ts), new TimestampNanosecond('UTC')),
    open: makeVector(Float64Array.from(bars, (b) => b.open)),
    high: makeVector(Float64Array.from(bars, (b) => b.high)),
    low: makeVector(Float64Array.from(bars, (b) => b.low)),
    close: makeVector(Float64Array.from(bars, (b) => b.close)),
    volume: makeVector(Float64Array.from(bars, (b) => b.volume)),
  });
  compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: (data) => new Uint8Array(compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) });
  const bytes = RecordBatchFileWriter.writeAll(t, { compressionType: CompressionType.LZ4_FRAME }).toUint8Array(true);
  // The reader must bring its own LZ4 decoder: apache-arrow has none.
  compressionRegistry.set(CompressionType.LZ4_FRAME, {});
  expect(Buffer.from(bytes).includes(Buffer.from([0x04, 0x22, 0x4d, 0x18]))).toBe(true); // LZ4 frames in the body
  return bytes;
}

const jsonOf = (bars: readonly Bar[]): string => JSON.stringify(bars.map((b) => [b.ts, b.open, b.high, b.low, b.close, b.volume]));

function parquetOf(bars: readonly Bar[]): Uint8Array {
  const t = new Table({
    date: vectorFromArray(bars.map((b) => b.ts), new TimestampNanosecond('UTC')),
    ...Object.fromEntries((['open', 'high', 'low', 'close', 'volume'] as const).map((c) => [c, vectorFromArray(bars.map((b) => b[c]), new Float64())])),
  });
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(t, 'stream')));
}

const FROM = Date.UTC(2021, 0, 1);
const TO = Date.UTC(2022, 2, 1);
let btc: Bar[] = [];
let eth: Bar[] = [];

async function csvBars(symbol: string): Promise<Bar[]> {
  const [f] = findBarFiles(testDataDir(), { symbols: [symbol], timeframe: '1h' });
  const out: Bar[] = [];
  for await (const b of readBars(f!.path, { venue: 'binance', symbol, tf: '1h', from: FROM, to: TO })) out.push(b);
  return out;
}

async function read(path: string, symbol = 'BTC/USDT', from?: number, to?: number): Promise<Bar[]> {
  const out: Bar[] = [];
  for await (const b of readBars(path, { venue: 'binance', symbol, tf: '1h', from, to })) out.push(b);
  return out;
}

/** A freqtrade exchange folder `<tmp>/<name>/binance` with BTC/USDT spot in `ext` and ETH/USDT:USDT futures in feather. */
function exchangeFolder(name: string, ext: string, body: string | Uint8Array): string {
  const dir = join(tmp, name, 'binance');
  mkdirSync(join(dir, 'futures'), { recursive: true });
  writeFileSync(join(dir, `BTC_USDT-1h.${ext}`), body);
  writeFileSync(join(dir, 'futures', 'ETH_USDT_USDT-1h-futures.feather'), featherOf(eth));
  writeFileSync(join(dir, 'futures', 'ETH_USDT_USDT-1h-funding_rate.feather'), 'not bars');
  writeFileSync(join(dir, 'BTC_USDT-trades.feather'), 'not bars');
  return dir;
}

beforeAll(async () => {
  btc = await csvBars('BTC/USDT');
  eth = await csvBars('ETH/USDT');
  expect(btc.length).toBeGreaterThan(10_000);
});

describe('freqtrade download-data folders', () => {
  it.each([
    ['json', () => jsonOf(btc)],
    ['json.gz', () => gzipSync(jsonOf(btc))],
    ['feather', () => featherOf(btc)],
    ['parquet', () => parquetOf(btc)],
  ] as const)('%s: the folder lists spot and futures files, and the bars are exactly the CSV\'s', async (ext, body) => {
    const dir = exchangeFolder(`fmt-${ext}`, ext, body());
    const files = findBarFilesUnder(dir, { timeframe: '1h' });
    expect(files.map((f) => [f.symbol, f.market, f.venue, f.path.slice(dir.length)])).toEqual([
      ['BTC/USDT', 'spot', 'binance', `/BTC_USDT-1h.${ext}`],
      ['ETH/USDT:USDT', 'futures', 'binance', '/futures/ETH_USDT_USDT-1h-futures.feather'],
    ]);
    expect(findBarFiles(requireDataDir(dir), { symbols: ['BTC/USDT'] }).map((f) => f.path)).toEqual([files[0]!.path]);
    expect(findBarFilesUnder(join(dir, 'futures')).map((f) => f.symbol)).toEqual(['ETH/USDT:USDT']);
    expect(venueOfBarFile(files[1]!.path)).toBe('binance');
    expect(await read(files[0]!.path)).toEqual(btc);
    const mid = btc[5000]!.ts;
    expect(await read(files[0]!.path, 'BTC/USDT', mid, mid + 10 * 3_600_000)).toEqual(btc.slice(5000, 5010));
    const futures = await read(files[1]!.path, 'ETH/USDT:USDT');
    expect(futures.map((b) => [b.ts, b.open, b.high, b.low, b.close, b.volume])).toEqual(eth.map((b) => [b.ts, b.open, b.high, b.low, b.close, b.volume]));
  });

  it('a gap is a gap (no bar made up), as in a CSV; a bad row is an error naming the file and the row', async () => {
    const gapped = [...btc.slice(0, 100), ...btc.slice(130, 200)];
    const dir = exchangeFolder('gap', 'json', jsonOf(gapped));
    expect(await read(join(dir, 'BTC_USDT-1h.json'))).toEqual(gapped);
    const replayed: MarketData[] = [];
    for await (const m of readMarketData(join(dir, 'BTC_USDT-1h.json'), { venue: 'binance', symbol: 'BTC/USDT', tf: '1h' })) replayed.push(m);
    expect(replayed).toEqual(gapped); // what sextant replay reads
    const rows = JSON.parse(jsonOf(btc.slice(0, 10))) as number[][];
    rows[3]![2] = rows[3]![3]! / 2; // high below low
    const bad = join(dir, 'BTC_USDT-1h.json');
    writeFileSync(bad, JSON.stringify(rows));
    await expect(read(bad)).rejects.toThrow(`${bad}: row 3: high ${rows[3]![2]} / low ${rows[3]![3]} do not bound open`);
    const seen: string[] = [];
    const kept: Bar[] = [];
    for await (const b of readBars(bad, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', onBadRow: (e) => seen.push(`${e.message} | ${e.row}`) })) kept.push(b);
    expect(kept).toEqual(btc.slice(0, 10).filter((_, i) => i !== 3));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain(`| [${rows[3]!.join(',')}]`);
    writeFileSync(bad, JSON.stringify(rows.map((r) => [r[0]! / 1000, ...r.slice(1)])));
    await expect(read(bad)).rejects.toThrow(/row 0: date 1609459200 is in epoch seconds/);
  });

  it('a folder with none of the layouts says which it accepts', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'x');
    expect(() => findBarFilesUnder(empty)).toThrow(DataDirError);
    expect(() => findBarFilesUnder(empty)).toThrow(/no freqtrade files \(<BASE>_<QUOTE>-<timeframe>\.feather, \.json, \.json\.gz or \.parquet/);
    expect(() => findBarFilesUnder(empty)).toThrow(/user_data\/data\/<exchange>/);
  });

  it('sextant backtest --data <freqtrade exchange folder> trains on and replays its bars', () => {
    const dir = exchangeFolder('cli', 'feather', featherOf(btc));
    const out = join(tmp, 'bt');
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', '--data', dir, '--symbols', 'BTC/USDT', '--from', '2022-01-01', '--to', '2022-02-01', '--report', out], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    // Said on stderr, for the symbols backtested only (not ETH/USDT:USDT's funding-rate candles).
    expect(r.stderr).toContain(`warning: 1 file under ${dir} not read, freqtrade trades, not bars: BTC_USDT-trades.feather\n`);
    expect(r.stderr).not.toContain('funding_rate');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as BacktestReport;
    expect(report.symbols).toEqual(['BTC/USDT']);
    expect(report.metrics.periods).toBe(31 * 24);
    // Trained on the folder's bars (from 2021-01-01), not the configured data folder's years.
    expect(Date.parse(report.model.trainRange.from)).toBeGreaterThanOrEqual(FROM);
  }, 240_000);
});

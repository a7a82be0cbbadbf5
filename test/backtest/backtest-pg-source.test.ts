import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { MissingBarsError } from '../../cli/commands/backtest-source.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { testDataDir } from '../support/data-dir.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. A schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_btpg_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-pg-'));
const venue = loadConfig({ env: {} }).venue;
const SYMBOL = 'SOL/USDT';
const FROM = Date.UTC(2023, 5, 1);
const TO = Date.UTC(2023, 6, 1);
let store: TimeseriesStore;

beforeAll(async () => {
  store = await createPgTimeseriesStore({ url, schema, poolSize: 2 });
  // The CSV history of the window and of the three training years before it, stored once.
  const bars: Bar[] = [];
  for (const f of findBarFiles(testDataDir(), { symbols: [SYMBOL], timeframe: '1h' })) {
    for await (const b of readBars(f.path, { venue, symbol: SYMBOL, tf: '1h', from: FROM - 3 * 365 * 86_400_000, to: TO })) bars.push(b);
  }
  expect(bars.length).toBeGreaterThan(20_000);
  await store.insert({ bars });
});

afterAll(async () => {
  await store?.close();
  await dropSchema(url, schema);
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant backtest --source pg (bars from the TimeseriesStore)', () => {
  it('gives the same report as the CSV files the rows came from, with the costs it was given', async () => {
    const common = { symbols: [SYMBOL], timeframe: '1h', from: FROM, to: TO, capital: 5_000, costs: { takerFeeBps: 7, impactCoeff: 0.3 } } as const;
    const fromCsv = await runBacktest({ ...common, data: testDataDir(), report: join(dir, 'csv') });
    // Pages far smaller than the window and the training years: the replay and the training read
    // the store a page at a time, and their boundaries change nothing.
    const fromPg = await runBacktest({ ...common, source: 'pg', timeseries: store, pageSize: 97, report: join(dir, 'pg') });
    expect(fromPg.counts).toEqual(fromCsv.counts);
    expect(fromPg.metrics).toEqual(fromCsv.metrics);
    expect(fromPg.baselines).toEqual(fromCsv.baselines);
    expect(fromPg.model.trainRange).toEqual(fromCsv.model.trainRange);
    expect(fromPg.counts['bars']).toBe(30 * 24);
    expect(fromPg.costs).toMatchObject({ takerFeeBps: 7, impactCoeff: 0.3 });
    expect(fromPg.metrics.fees_paid).toBeGreaterThan(0);
  });

  it('names the symbol and the window when the store has no bars for it', async () => {
    const err = await runBacktest({ symbols: ['NOPE/USDT'], timeframe: '1h', from: FROM, to: TO, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, 'none') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/^no 1h bars of NOPE\/USDT in the window 2023-06-01T00:00:00.000Z → 2023-07-01T00:00:00.000Z in the TimeseriesStore/);
  });

  it("names the venue it read under: a config's `venue: kraken` over rows stored as binance finds none", async () => {
    const config = join(dir, 'kraken.yaml');
    writeFileSync(config, 'venue: kraken\n');
    const err = await runBacktest({ configFile: config, symbols: [SYMBOL], timeframe: '1h', from: FROM, to: TO, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, 'kraken') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(
      /^no 1h bars of SOL\/USDT in the window .* in the TimeseriesStore \(PostgreSQL schema \w+\) under venue kraken \(the config's `venue:`; the store keeps bars by venue: give the one they were stored under as `venue:` in the spec\)$/,
    );
  });

  it('names the symbol when the store has its window but not the training years before it', async () => {
    const young = (await store.bars({ venue, symbol: SYMBOL, tf: '1h', from: FROM, to: FROM + 48 * 3_600_000 })).map((b): Bar => ({ ...b, symbol: 'NEW/USDT', id: barId(venue, 'NEW/USDT', '1h', b.ts) }));
    await store.insert({ bars: young });
    const err = await runBacktest({ symbols: ['NEW/USDT'], timeframe: '1h', from: FROM, to: TO, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, 'young') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingBarsError);
    expect((err as Error).message).toMatch(/no 1h bars of binance NEW\/USDT between .* \(the training years before the window\)/);
  });

  it('says which stored bars it trained on, and what to change, when the years before the window hold too few', async () => {
    // 100 bars before the window (fewer than the 200-bar warm-up) and two days of the window.
    const few = (await store.bars({ venue, symbol: SYMBOL, tf: '1h', from: FROM - 100 * 3_600_000, to: FROM + 48 * 3_600_000 })).map((b): Bar => ({ ...b, symbol: 'FEW/USDT', id: barId(venue, 'FEW/USDT', '1h', b.ts) }));
    await store.insert({ bars: few });
    const err = await runBacktest({ symbols: ['FEW/USDT'], timeframe: '1h', from: FROM, to: FROM + 48 * 3_600_000, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, 'few') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(
      /^cannot train direction-mlp on the 1h bars of FEW\/USDT in the three years before 2023-06-01T00:00:00\.000Z in the TimeseriesStore \(PostgreSQL schema \w+\): only 0 labelled rows \(after a 200-bar warm-up\), fewer than the 200 needed to train: .*; give a later --from \(the store must hold bars before it\) or serve a registered model with --model$/,
    );
  });

  it('refuses a window without bars but with warm-up bars before it, as the CSV source does', async () => {
    // The store's bars end at TO: the window after it has only its warm-up bars before it.
    const window = { symbols: [SYMBOL], timeframe: '1h', from: TO, to: TO + 2 * 86_400_000, capital: 1_000 } as const;
    const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);
    const fromPg = await refusal(runBacktest({ ...window, source: 'pg', timeseries: store, report: join(dir, 'after-pg') }));
    // The same bars as a CSV file (written from the store), read by the CSV source.
    const stored = await store.bars({ venue, symbol: SYMBOL, tf: '1h', from: TO - 30 * 86_400_000, to: TO });
    const csv = join(dir, 'SOL_USDT_1h.csv');
    writeFileSync(csv, `timestamp,open,high,low,close,volume\n${stored.map((b) => `${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`).join('\n')}\n`);
    const fromCsv = await refusal(runBacktest({ ...window, data: csv, report: join(dir, 'after-csv') }));
    expect(fromPg).toBeInstanceOf(InvalidArgumentError);
    expect(fromCsv).toBeInstanceOf(InvalidArgumentError);
    const pgMessage = (fromPg as Error).message;
    expect(pgMessage).toMatch(/^no 1h bars of SOL\/USDT in the window 2023-07-01T00:00:00.000Z → 2023-07-03T00:00:00.000Z in the TimeseriesStore \(PostgreSQL schema \w+\) under venue binance \(the config's `venue:`.*\)$/);
    expect((fromCsv as Error).message).toBe(`${pgMessage.slice(0, pgMessage.indexOf(' in the TimeseriesStore'))} under ${csv}`);
  });

  it('simulates order latency on stored bars too: half a bar of latency moves the fills (it was free below one bar)', async () => {
    const run = (latencyMs: number, name: string) => runBacktest({ symbols: [SYMBOL], timeframe: '1h', from: FROM, to: TO, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, name), costs: { latencyMs } });
    const now = await run(0, 'lat0');
    const late = await run(1_800_000, 'lat30');
    expect(Number(now.counts['fills'])).toBeGreaterThan(0);
    expect(late.metrics.total_return).not.toBe(now.metrics.total_return);
  });
});

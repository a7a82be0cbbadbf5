import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { MissingBarsError } from '../../cli/commands/backtest-source.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
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
    const fromPg = await runBacktest({ ...common, source: 'pg', timeseries: store, report: join(dir, 'pg') });
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
    expect(err).toBeInstanceOf(MissingBarsError);
    expect((err as Error).message).toMatch(/no 1h bars of binance NOPE\/USDT between .* \(the training years before the window\)/);
  });

  it('simulates order latency on stored bars too: half a bar of latency moves the fills (it was free below one bar)', async () => {
    const run = (latencyMs: number, name: string) => runBacktest({ symbols: [SYMBOL], timeframe: '1h', from: FROM, to: TO, capital: 1_000, source: 'pg', timeseries: store, report: join(dir, name), costs: { latencyMs } });
    const now = await run(0, 'lat0');
    const late = await run(1_800_000, 'lat30');
    expect(Number(now.counts['fills'])).toBeGreaterThan(0);
    expect(late.metrics.total_return).not.toBe(now.metrics.total_return);
  });
});

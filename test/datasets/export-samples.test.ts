import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import type { DatasetExportCliOptions } from '../../cli/commands/dataset.js';
import { readDatasetSplit } from '../../models/datasets/export-dataset.js';
import { toSampleTable } from '../../models/datasets/training-sample-source.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import type { OrderSample, PredictionSample } from '../../state/training-sample-store.js';
import { dropSchema } from '../support/pg.js';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = 'test_datasets_samples';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** 40 samples: ETH/USDT and DOGE/USDT at hours 0…19, labels known 4 h later; DOGE's rsi missing at hour 3. */
const samples: PredictionSample[] = Array.from({ length: 40 }, (_, i) => {
  const hour = Math.floor(i / 2);
  const symbol = i % 2 === 0 ? 'ETH/USDT' : 'DOGE/USDT';
  const label = (([1, -1, 0] as const)[hour % 3] ?? 0) as 1 | -1 | 0;
  return {
    kind: 'prediction',
    id: `p:dirmlp:f:${symbol}:${hour}`,
    strategy: 'dirmlp',
    venue: 'binance',
    symbol,
    ts: T0 + hour * HOUR,
    labeledTs: T0 + (hour + 4) * HOUR,
    model: { name: 'direction-mlp', version: 1 },
    featureSpecHash: 'abc',
    featureId: `f:${symbol}:${hour}`,
    features: { log_ret_1: 0.001 * (i - 20), rsi_14: symbol === 'DOGE/USDT' && hour === 3 ? null : 40 + i },
    label,
    barrier: label === 1 ? 'take_profit' : label === -1 ? 'stop_loss' : 'vertical',
    outcomeClass: 'neutral',
    forwardReturn: 0.002 * label,
    netReturnBps: 0,
    horizonBars: 4,
  };
});

/** Approved orders labeled on the same bars (ETH/USDT, hours 0…11): kept in the same table, exported only when asked for. */
const orderSamples: OrderSample[] = Array.from({ length: 12 }, (_, hour) => {
  const p = samples[hour * 2] as PredictionSample;
  const { model: _m, featureSpecHash: _h, kind: _k, ...rest } = p;
  return { ...rest, kind: 'order', id: `o:s:dirmlp:${hour}`, model: null, featureSpecHash: null, side: hour % 2 === 0 ? 'buy' : 'sell', label: hour % 2 === 0 ? 1 : -1, barrier: hour % 2 === 0 ? 'take_profit' : 'stop_loss', forwardReturn: 0.001 * hour };
});

const opts = (out: string): DatasetExportCliOptions => ({
  source: 'samples',
  strategy: 'dirmlp',
  timeframe: '1h',
  horizon: 4,
  kAtr: 0.75,
  out,
  name: 'dirmlp',
  trainFraction: 0.5,
  validationFraction: 0.25,
  embargoBars: 1,
  outlierZ: 6,
});

const dirs: string[] = [];
beforeAll(async () => {
  await dropSchema(url, schema);
  const store = await createPgTrainingSampleStore({ url, schema });
  await store.commit({ samples: [...samples, ...orderSamples] });
  await store.close();
});
afterAll(async () => {
  await dropSchema(url, schema);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('dataset export from the training-sample store', () => {
  it('maps samples to rows: triple-barrier classes, features as stored, null as missing', () => {
    const t = toSampleTable(samples);
    expect(t.features).toEqual(['log_ret_1', 'rsi_14']);
    expect(t.symbols).toEqual(['DOGE/USDT', 'ETH/USDT']);
    expect(Array.from(t.label.slice(0, 6))).toEqual([2, 2, 0, 0, 1, 1]);
    expect(t.end[0]! - t.start[0]!).toBe(4 * HOUR);
    expect(Number.isNaN(t.x[6 * 2 + 1]!)).toBe(true); // hour 3, DOGE (sorted first)
  });

  it('exports from PostgreSQL with purge and embargo, the same rows as from the memory store', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sx-ds-samples-'));
    dirs.push(out);
    const pgResult = await runDatasetExport(opts(out), () => createPgTrainingSampleStore({ url, schema }), () => undefined);
    // 20 hours: validation from hour 10, test from hour 15; labels run 4 h, embargo 1 h.
    // train: hours 0…6; validation: 11 (hours 11…14 minus the purge: end ≤ 15 → hour 11); test: 16…19.
    const m = pgResult.metadata;
    expect(m.labelSpec.classes).toEqual(['stop_loss', 'vertical', 'take_profit']);
    expect([m.splits.train.rows, m.splits.validation.rows, m.splits.test.rows]).toEqual([14, 2, 8]);
    expect(m.split.dropped).toEqual({ purged: 12, embargoed: 4 });
    const train = await readDatasetSplit(pgResult.dir, 'train', 'parquet');
    expect(train.symbol.slice(0, 2)).toEqual(['DOGE/USDT', 'ETH/USDT']);
    expect(pgResult.quality.columns[1]).toMatchObject({ column: 'rsi_14', missing: 1 });

    // Every cell of every split, in Parquet and in Arrow, is the stored sample's: its symbol and
    // decision time, when its label was known, its class, its return and each feature (null read
    // back as NaN, the missing value).
    const stored = new Map(samples.map((x) => [`${x.symbol}|${x.ts}`, x]));
    const CLASS = { stop_loss: 0, vertical: 1, take_profit: 2 } as const;
    for (const format of ['parquet', 'arrow'] as const) {
      let rows = 0;
      let mismatches = 0;
      for (const split of ['train', 'validation', 'test'] as const) {
        const r = await readDatasetSplit(pgResult.dir, split, format);
        expect(r.features).toEqual(['log_ret_1', 'rsi_14']);
        for (let k = 0; k < r.label.length; k++, rows++) {
          const x = stored.get(`${r.symbol[k]}|${r.start[k]}`);
          if (x === undefined || r.end[k] !== x.labeledTs || r.label[k] !== CLASS[x.barrier] || !Object.is(r.forwardReturn[k], x.forwardReturn)) {
            mismatches++;
            continue;
          }
          r.features.forEach((name, j) => {
            const want = x.features[name] ?? null;
            const got = r.x[k * r.features.length + j];
            if (want === null ? !Number.isNaN(got) : !Object.is(got, want)) mismatches++;
          });
        }
      }
      expect(rows, format).toBe(14 + 2 + 8);
      expect(mismatches, format).toBe(0);
    }

    const mem = createMemoryTrainingSampleStore();
    await mem.commit({ samples: [...samples, ...orderSamples] });
    const out2 = await mkdtemp(join(tmpdir(), 'sx-ds-samples-mem-'));
    dirs.push(out2);
    const memResult = await runDatasetExport(opts(out2), () => Promise.resolve(mem), () => undefined);
    expect(memResult.metadata.contentHash).toBe(m.contentHash);
  });

  it('refuses an export of symbols one of which has no samples, instead of leaving it out of a dataset whose metadata names it', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sx-ds-missing-'));
    dirs.push(out);
    const run = (symbols: readonly string[]) => runDatasetExport({ ...opts(out), symbols }, () => createPgTrainingSampleStore({ url, schema }), () => undefined);
    await expect(run(['ETH/USDT', 'SOL/USDT'])).rejects.toThrow('no prediction samples of strategy dirmlp for SOL/USDT in the training-sample store (the others have some)');
    await expect(run(['eth/usdt', 'DOGE/USDT'])).rejects.toThrow('for eth/usdt in the training-sample store');
    expect((await run(['ETH/USDT', 'DOGE/USDT'])).metadata.rows).toBeGreaterThan(0);
  });

  it('exports the labeled orders instead with --sample-kind order: their rows only, labels along their side', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sx-ds-orders-'));
    dirs.push(out);
    // Twelve hourly orders labelled 4 h later: boundaries at hours 5 and 10 keep two rows in each split (an empty split is refused).
    const split = { trainFraction: 0.42, validationFraction: 0.43 };
    const r = await runDatasetExport({ ...opts(out), ...split, name: 'orders', sampleKind: 'order', embargoBars: 0 }, () => createPgTrainingSampleStore({ url, schema }), () => undefined);
    expect([r.metadata.splits.train.rows, r.metadata.splits.validation.rows, r.metadata.splits.test.rows]).toEqual([2, 2, 2]);
    expect(r.metadata.labelSpec.rule).toContain("order's side");
    const byTs = new Map(orderSamples.map((x) => [x.ts, x]));
    let rows = 0;
    for (const split of ['train', 'validation', 'test'] as const) {
      const t = await readDatasetSplit(r.dir, split, 'parquet');
      for (let k = 0; k < t.label.length; k++, rows++) {
        const x = byTs.get(t.start[k] as number);
        expect(t.symbol[k]).toBe('ETH/USDT');
        expect([t.label[k], t.forwardReturn[k]]).toEqual([x?.label === 1 ? 2 : 0, x?.forwardReturn]);
      }
    }
    expect(rows).toBe(r.metadata.rows);
    expect(rows).toBeGreaterThan(0);
    expect(r.metadata.rows + r.metadata.split.dropped.purged + r.metadata.split.dropped.embargoed).toBe(orderSamples.length);
  });
});

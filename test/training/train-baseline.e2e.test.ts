import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSymbolBars, runTrain, trainCommand } from '../../cli/commands/train.js';
import { requireDataDir } from '../../gateways/data-dir.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import type { BarDataset } from '../../models/training/bar-dataset.js';
import { splitChronological } from '../../models/training/chronological-split.js';
import type { ChronologicalSplit } from '../../models/training/chronological-split.js';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { expectedReturns } from '../../models/training/conformal-calibration.js';
import { pick, standardiseRows } from '../../models/training/standardiser.js';
import type { TrainBaselineReport } from '../../models/training/train-baseline.js';
import { tinyRegistry } from './tiny-registry.js';
import { startMlflowServer } from '../retraining/mlflow-server.js';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { silentLogger } from '../../state/logger.js';

// One year of real BTC/USDT 1h bars from ../shared/data, a few epochs: the whole path in seconds.
const OPTS = {
  symbols: ['BTC/USDT'],
  timeframe: '1h',
  horizon: 4,
  kAtr: 0.75,
  from: Date.UTC(2023, 0, 1),
  to: Date.UTC(2024, 0, 1),
  name: 'direction-mlp-e2e',
  seed: 11,
  epochs: 4,
};

const registry = tinyRegistry();
let first: TrainBaselineReport;
let second: TrainBaselineReport;
let printed = '';
let ds: BarDataset;
let split: ChronologicalSplit;

let mlflow: Awaited<ReturnType<typeof startMlflowServer>>;

beforeAll(async () => {
  const keepOpen = { ...registry, close: () => Promise.resolve() };
  first = await runTrain(OPTS, () => Promise.resolve(keepOpen), (s) => (printed += s));
  // The second run is also logged to an MLflow tracking server (a local one speaking its REST API).
  mlflow = await startMlflowServer();
  let t = 1_700_000_000_000;
  const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'sextant-train-e2e', registerModels: true, timeoutMs: 5000 }, silentLogger);
  second = await runTrain(OPTS, () => Promise.resolve(keepOpen), () => undefined, { tracker, now: () => (t += 1000) });
  const bars = await loadSymbolBars(requireDataDir(), OPTS.symbols, '1h', { from: OPTS.from, to: OPTS.to });
  ds = buildBarDataset(bars, { horizon: 4, kAtr: 0.75, barMs: 3_600_000 });
  split = splitChronological(ds);
});

afterAll(async () => {
  await mlflow.close();
});

describe('sextant train on real BTC/USDT 1h bars', () => {
  it('logs the run to MLflow when a tracking URL is configured: parameters, every registered metric, the model version', () => {
    const posts = (path: string) => mlflow.calls.filter((c) => c.method === 'POST' && c.path === path);
    const [created] = posts('runs/create');
    expect(created?.body?.['tags']).toEqual(expect.arrayContaining([{ key: 'sextant.command', value: 'train' }, { key: 'sextant.model', value: `${second.model.name}@${second.model.version}` }]));
    const batches = posts('runs/log-batch').map((c) => c.body ?? {});
    const params = batches.flatMap((b) => (b['params'] as { key: string; value: string }[] | undefined) ?? []);
    expect(params).toEqual(expect.arrayContaining([{ key: 'seed', value: '11' }, { key: 'epochs', value: '4' }, { key: 'symbols', value: 'BTC/USDT' }]));
    const metrics = new Map(batches.flatMap((b) => (b['metrics'] as { key: string; value: number }[] | undefined) ?? []).map((m) => [m.key, m.value]));
    for (const [k, v] of Object.entries(second.model.metrics)) expect(metrics.get(k), k).toBe(v);
    expect(posts('model-versions/create')[0]?.body).toMatchObject({ name: second.model.name, source: `sextant-registry://${second.model.name}/${second.model.version}` });
    expect(posts('runs/update')[0]?.body).toMatchObject({ status: 'FINISHED' });
    // The first run had no tracker: nothing else reached the server.
    expect(posts('runs/create')).toHaveLength(1);
  });

  it('registers an ONNX model with the three models’ test metrics, spec, calibration and lineage', () => {
    const m = first.model;
    expect(m.name).toBe('direction-mlp-e2e');
    expect(m.version).toBe(1);
    expect(m.parentVersion).toBeNull();
    for (const k of ['test_accuracy', 'test_log_loss', 'majority_accuracy', 'majority_log_loss', 'lr_accuracy', 'lr_log_loss']) {
      expect(m.metrics[k], k).toBeGreaterThan(0);
    }
    expect(m.metrics['test_rows']).toBe(split.test.indices.length);
    expect(m.featureSpec.features).toContain('rsi_14');
    expect(m.calibration.horizonMs).toBe(4 * 3_600_000);
    expect(m.calibration.conformal95).toBeGreaterThan(m.calibration.conformal80);
    expect(m.trainRange.from).toBe(ds.ts[split.train.indices[0]!]);
    // Exclusive end: the close of the last training label's bar, which is no later than the calibration start.
    expect(m.trainRange.to).toBeLessThanOrEqual(split.boundaries[0]);
    expect(m.configHash).toMatch(/^[0-9a-f]{64}$/);
    // The majority baseline's accuracy is the test share of the training majority class.
    const testY = pick(ds.y, split.test.indices);
    expect(m.metrics['majority_accuracy']).toBeCloseTo(testY.filter((c) => c === 1).length / testY.length, 12);
  });

  it('stores an artifact that onnxruntime scores exactly as registered (standardised inputs, parity ≤ 1e-5)', async () => {
    expect(first.onnxParityMaxAbsDiff).toBeLessThanOrEqual(1e-5);
    const spec = first.model.featureSpec;
    expect(spec.features).toEqual(ds.features);
    const x = standardiseRows(ds.x, ds.cols, split.test.indices, { mean: Float64Array.from(spec.mean), std: Float64Array.from(spec.std) });
    const rt = await createOnnxRuntime({ bytes: await registry.artifact(first.model) }, { thread: 'main' });
    try {
      const [probs] = await rt.run(x, split.test.indices.length, ds.cols);
      const m = classificationMetrics(probs!, pick(ds.y, split.test.indices), 3);
      expect(m.accuracy).toBe(first.model.metrics['test_accuracy']);
      expect(m.logLoss).toBeCloseTo(first.model.metrics['test_log_loss']!, 6);
    } finally {
      await rt.dispose();
    }
  });

  it('normalises with statistics of the training segment only', () => {
    const spec = first.model.featureSpec;
    const meanOver = (idx: Int32Array, j: number): number => Array.from(idx).reduce((s, i) => s + ds.x[i * ds.cols + j]!, 0) / idx.length;
    const all = Int32Array.from({ length: ds.rows }, (_, i) => i);
    const vol = ds.features.indexOf('ewma_vol');
    for (let j = 0; j < ds.cols; j++) expect(spec.mean[j]).toBeCloseTo(meanOver(split.train.indices, j), 10);
    expect(Math.abs(spec.mean[vol]! - meanOver(all, vol))).toBeGreaterThan(1e-6);
  });

  it('is reproducible: the same options give the same metrics and config hash, as a child version', () => {
    expect(second.model.version).toBe(2);
    expect(second.model.parentVersion).toBe(1);
    expect(second.model.configHash).toBe(first.model.configHash);
    expect(second.model.metrics).toEqual(first.model.metrics);
    expect(second.model.artifactSha256).toBe(first.model.artifactSha256);
  });

  /** Share of `rows` whose realised return lies within expected ± q · ATR14/close (the served interval). */
  const coverage = async (rows: Int32Array, q: number, slack = 0): Promise<Readonly<{ covered: number; widths: Float64Array }>> => {
    const spec = first.model.featureSpec;
    const x = standardiseRows(ds.x, ds.cols, rows, { mean: Float64Array.from(spec.mean), std: Float64Array.from(spec.std) });
    const rt = await createOnnxRuntime({ bytes: await registry.artifact(first.model) }, { thread: 'main' });
    try {
      const [probs] = await rt.run(x, rows.length, ds.cols);
      const e = expectedReturns(probs!, first.model.calibration.classMeanReturns);
      const r = pick(ds.r, rows);
      const scale = pick(ds.scale, rows);
      const covered = e.filter((v, i) => Math.abs(r[i]! - v) <= q * scale[i]! + slack).length / e.length;
      return { covered, widths: Float64Array.from(scale, (sc) => 2 * q * sc) };
    } finally {
      await rt.dispose();
    }
  };

  it('gives calibrated intervals scaled by ATR14/close: the 80 % band covers about 80 % of calibration rows', async () => {
    expect(first.model.calibration.conformalScale).toBe('atr_14/close');
    // The quantile was taken on tfjs probabilities; onnxruntime's differ by ~1e-7, so the row that
    // sits exactly on the quantile is given a hair of slack.
    const { covered, widths } = await coverage(split.calibration.indices, first.model.calibration.conformal80, 1e-9);
    expect(covered).toBeGreaterThanOrEqual(0.8);
    expect(covered).toBeLessThan(0.81);
    // One width per prediction no more: the widest calm-market interval is far from the wildest.
    const sorted = Float64Array.from(widths).sort();
    expect(sorted[Math.floor(0.9 * sorted.length)]!).toBeGreaterThan(1.5 * sorted[Math.floor(0.1 * sorted.length)]!);
  });

  it('covers held-out rows it was not calibrated on: the test split, later in time', async () => {
    const c = first.model.calibration;
    const c80 = (await coverage(split.test.indices, c.conformal80)).covered;
    const c95 = (await coverage(split.test.indices, c.conformal95)).covered;
    // Later data is not exchangeable with the calibration rows (regimes change), so the nominal
    // levels hold only roughly; a band that far off would mean the intervals are not what they say.
    expect(c80).toBeGreaterThan(0.7);
    expect(c80).toBeLessThan(0.9);
    expect(c95).toBeGreaterThan(0.88);
    expect(c95).toBeLessThan(c80 + 0.25);
    console.info(`held-out coverage: 80 % band ${(100 * c80).toFixed(1)} %, 95 % band ${(100 * c95).toFixed(1)} % over ${split.test.indices.length} test rows`);
  });

  it('prints a table of the three models and a final JSON line', () => {
    const lines = printed.trim().split('\n');
    for (const name of ['mlp', 'logistic regression', 'majority class']) expect(lines.some((l) => l.startsWith(name))).toBe(true);
    const json = JSON.parse(lines[lines.length - 1]!) as { model: string; metrics: Record<string, number> };
    expect(json.model).toBe('direction-mlp-e2e@1');
    expect(json.metrics['test_accuracy']).toBe(first.model.metrics['test_accuracy']);
  });

  it('refuses bad options on the command line', async () => {
    const cmd = trainCommand(() => Promise.resolve(tinyRegistry()))
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    await expect(cmd.parseAsync(['--horizon', '0'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(cmd.parseAsync(['--k-atr', '-1'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });

  it('refuses, before it fits or registers anything, an empty window, a symbol given twice and a symbol with no bars in the window', async () => {
    const registered = (await registry.list()).length;
    const never = () => Promise.reject(new Error('opened the registry'));
    await expect(runTrain({ ...OPTS, from: OPTS.to, to: OPTS.from }, never)).rejects.toThrow('the window is empty: --from 2024-01-01T00:00:00.000Z is not before --to 2023-01-01T00:00:00.000Z');
    await expect(runTrain({ ...OPTS, symbols: ['BTC/USDT', 'ETH/USDT', 'BTC/USDT'] }, never)).rejects.toThrow('--symbols: BTC/USDT given more than once');
    // PEPE/USDT's 1h bars begin in 2023-05, after this window.
    await expect(runTrain({ ...OPTS, symbols: ['BTC/USDT', 'PEPE/USDT'], from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) }, never)).rejects.toThrow(
      /^no 1h bars of PEPE\/USDT from 2022-01-01T00:00:00\.000Z → 2023-01-01T00:00:00\.000Z under /,
    );
    expect((await registry.list()).length).toBe(registered);
  });
});

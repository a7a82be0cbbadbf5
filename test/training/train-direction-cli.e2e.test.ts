import { describe, expect, it } from 'vitest';
import { loadSymbolBars, runTrainDirection, trainCommand } from '../../cli/commands/train.js';
import { createStrategyCore } from '../../models/inference/strategy-core.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { barEvents } from '../strategy/gru-on-real-bars.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from './tiny-registry.js';

// Half a year of real BTC/USDT 1h bars from ../shared/data, two epochs: the CLI path in seconds.
const ARGS = ['--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-07-01', '--epochs', '2', '--seed', '5'];

describe('sextant train --model gru --search tpe --trials N --select-features', () => {
  it('parses the options, registers direction-gru with its search, selection and window, and the strategy core serves it', async () => {
    const registry = tinyRegistry();
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      await trainCommand(() => Promise.resolve(registry)).parseAsync(['--model', 'gru', '--window', '6', '--search', 'tpe', '--trials', '2', '--select-features', ...ARGS], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    const [m] = await registry.list('direction-gru');
    expect(m).toMatchObject({ name: 'direction-gru', version: 1, parentVersion: null });
    expect(m?.metrics['search_trials']).toBe(2);
    expect((m?.details as { input: { window: number } }).input.window).toBe(6);
    // The strategy core reads the window from the spec: 6 bars, an hour apart.
    expect(m?.featureSpec.window).toEqual({ steps: 6, stepMs: 3_600_000 });
    const text = out.join('');
    expect(text).toMatch(/registered direction-gru@1 \(parent none\), gru, \d+ features/);
    expect(text).toMatch(/search: tpe, 2 trials/);
    expect(text).toMatch(/majority class/);
    expect(JSON.parse(text.trim().split('\n').at(-1) as string)).toMatchObject({ model: 'direction-gru@1' });

    // What `sextant train --model gru` registered, the strategy core serves: the bars after its data.
    if (m === undefined) throw new Error('no direction-gru registered');
    const runtime = await createOnnxRuntime({ bytes: await registry.artifact(m) }, { thread: 'main' });
    try {
      const core = createStrategyCore({ strategy: 'gru', model: { name: m.name, version: m.version, runtime, featureSpec: m.featureSpec, calibration: m.calibration, featureSpecHash: m.featureSpecHash }, minConfidence: 0.4, maxIntervalWidth: 1, positionSize: 1, allowShort: true, topK: 2 });
      const [btc] = await loadSymbolBars(testDataDir(), ['BTC/USDT'], '1h', { from: Date.parse('2023-01-01T00:00:00Z'), to: Date.parse('2023-07-15T00:00:00Z') });
      const vectors = barEvents('BTC/USDT', btc?.bars ?? []).slice(-200).map((e) => e.vector);
      const preds = await core.onFeatures(vectors);
      expect(core.stats().skipped).toEqual({ WINDOW_FILLING: 5 });
      expect(preds).toHaveLength(195);
      for (const p of preds) expect(PredictionSchema.safeParse(p).error).toBeUndefined();
    } finally {
      await runtime.dispose();
    }
  }, 180_000);

  it('refuses an unknown model or sampler, and --cv with the new pipeline', async () => {
    const cmd = (): ReturnType<typeof trainCommand> => trainCommand(() => Promise.resolve(tinyRegistry())).exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(cmd().parseAsync(['--model', 'lstm', ...ARGS], { from: 'user' })).rejects.toThrow(/one of mlp, gru, ensemble/);
    await expect(cmd().parseAsync(['--search', 'grid', ...ARGS], { from: 'user' })).rejects.toThrow(/one of random, tpe/);
    await expect(
      runTrainDirection({ symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, search: 'tpe', cv: 'walk-forward' }, () => Promise.resolve(tinyRegistry())),
    ).rejects.toThrow(/does not combine/);
  }, 180_000);
});

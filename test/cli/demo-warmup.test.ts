import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barsBeforeFirstPrediction, countingBars, demoWarmup, warmupWarnings } from '../../cli/commands/demo-warmup.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const H = 3_600_000;
type Served = Pick<ModelVersion, 'featureSpec' | 'details'>;

/** A demo over a window shorter than the features' warm-up predicted nothing and did not say why. */
describe('sextant demo: a window shorter than the warm-up', () => {
  it('needs the features’ 200 bars (SMA/EMA 200), and a sequence model’s window on top', () => {
    expect(barsBeforeFirstPrediction({ featureSpec: {}, details: {} } as unknown as Served)).toBe(200);
    expect(barsBeforeFirstPrediction({ featureSpec: { window: { steps: 16, stepMs: H } }, details: {} } as unknown as Served)).toBe(215);
  });

  it('counts each symbol’s bars once (overlapping files), and names the symbols short of them with the flags that widen the window', async () => {
    const counts = new Map<string, number>();
    const bars = [
      { symbol: 'A', ts: 0 },
      { symbol: 'B', ts: 0 },
      { symbol: 'A', ts: 0 },
      { symbol: 'A', ts: H },
    ];
    const seen: unknown[] = [];
    for await (const b of countingBars((async function* () { yield* bars; })(), counts)) seen.push(b);
    expect(seen).toEqual(bars);
    expect([...counts]).toEqual([['A', 2], ['B', 1]]);
    const w = demoWarmup(['A', 'B', 'C'], new Map([['A', 250], ['B', 168]]), 200);
    expect(w).toEqual({ needed: 200, short: [{ symbol: 'B', bars: 168 }, { symbol: 'C', bars: 0 }] });
    expect(warmupWarnings(w, { timeframe: '1h', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 8) })[0]).toBe(
      'B: 168 1h bars in the window 2024-01-01T00:00:00.000Z → 2024-01-08T00:00:00.000Z, fewer than the 200 the model needs before its first prediction ' +
        '(the features\' warm-up; the demo replays no bars before the window), so it predicted nothing; widen the window with an earlier --from (or a later --to)',
    );
  });

  const artifacts = mkdtempSync(join(tmpdir(), 'sx-demo-warmup-'));
  afterAll(() => rmSync(artifacts, { recursive: true, force: true }));

  it('says so on stderr, in the summary and in the JSON line (warmup), for the symbol short of bars only', () => {
    // PEPE/USDT's 1h bars begin 2023-05-05T18:00: 150 of them in the window, BTC/USDT 264.
    const r = spawnSync(
      process.execPath,
      [resolve(ROOT, 'bin/sextant.js'), 'demo', '--embedded', '--no-faults', '--symbols', 'BTC/USDT,PEPE/USDT', '--from', '2023-05-01', '--to', '2023-05-12', '--namespace', `w${randomUUID().replaceAll('-', '').slice(0, 10)}`],
      { cwd: ROOT, env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), SEXTANT__models__artifactDir: artifacts }, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { published: number; predictions: number; warmup: unknown };
    expect(summary.published).toBe(264 + 150);
    expect(summary.warmup).toEqual({ needed: 200, short: [{ symbol: 'PEPE/USDT', bars: 150 }] });
    expect(summary.predictions).toBe(264 - 199);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([
      'warning: PEPE/USDT: 150 1h bars in the window 2023-05-01T00:00:00.000Z → 2023-05-12T00:00:00.000Z, fewer than the 200 the model needs before its first prediction ' +
        '(the features\' warm-up; the demo replays no bars before the window), so it predicted nothing; widen the window with an earlier --from (or a later --to)',
    ]);
    expect(r.stdout).toContain('warm-up         PEPE/USDT 150 of 200 bars before a first prediction: widen the window (--from earlier or --to later)');
  });
});

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRetrainVsFrozen } from '../../cli/commands/experiment.js';
import { REGIME_WINDOWS } from '../../cli/commands/regime-windows.js';
import { sampleTrainingLeaks, trainingLeaks } from '../../models/experiments/retrain-schedule.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { testDataDir } from '../support/data-dir.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('sextant experiment retrain-vs-frozen (real 1h bars)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-exp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs both arms over the 2024-08 crash month on BTC, retraining only on data before each point − embargo', async () => {
    const window = REGIME_WINDOWS.find((w) => w.name.startsWith('2024-08'));
    if (window === undefined) throw new Error('no 2024-08 window');
    const embargoMs = 24 * HOUR;
    // A drawdown limit of 10 on 10,000: the month's losses trip it, and each arm records the halt.
    const configFile = join(dir, 'tight-risk.yaml');
    writeFileSync(configFile, 'risk:\n  limits:\n    maxDrawdown: 10\n');
    const r = await runRetrainVsFrozen({ configFile, data: testDataDir(), windows: [window], symbols: ['BTC/USDT'], retrainEveryDays: 10, embargoHours: 24, trainYears: 1, epochs: 3, reportDir: dir });
    expect(r.windows).toHaveLength(1);
    const w = r.windows[0];
    if (w === undefined) throw new Error('no window');
    expect(w.error).toBeNull();
    const { frozen, online } = w.arms;
    if (frozen === undefined || online === undefined) throw new Error('an arm is missing');

    // Leak rule on what was actually read: every bar closed by at − embargo, none before its range.
    expect(online.trainings.map((t) => (t.at - window.from) / DAY)).toEqual([0, 10, 20, 30]);
    expect(frozen.trainings).toHaveLength(1);
    for (const t of [...frozen.trainings, ...online.trainings]) {
      expect(t.trainTo).toBe(t.at - embargoMs);
      expect(t.lastBarTs + HOUR).toBeLessThanOrEqual(t.at - embargoMs);
      expect(t.firstBarTs).toBeGreaterThanOrEqual(t.trainFrom);
      expect(t.bars).toBeGreaterThan(8000);
    }
    expect(trainingLeaks(online.trainings, HOUR, embargoMs)).toEqual([]);

    // Each model decides exactly the bars from its point on: 240 h for the one served from Aug 21, 24 h from Aug 31.
    const models = online.trainings.map((t) => t.model);
    expect(online.scores.byModel[models[2] as string]).toBe(240);
    expect(online.scores.byModel[models[3] as string]).toBe(24);
    expect(Object.keys(frozen.scores.byModel)).toEqual([models[0]]);

    for (const a of [frozen, online]) {
      // Every published prediction has a realised label (BTC has no gap in the month), after the features' warm-up.
      expect(a.scores.scored).toBe(a.scores.predictions);
      expect(a.scores.scored).toBeGreaterThan(400);
      expect(a.scores.scored).toBeLessThan(31 * 24);
      expect(Number.isFinite(a.scores.logLoss)).toBe(true);
      expect(a.scores.accuracy).toBeGreaterThan(0.2);
      expect(Number.isFinite(a.metrics.total_return)).toBe(true);
      expect(Number.isFinite(a.metrics.max_drawdown)).toBe(true);
      expect(a.metrics.periods).toBe(31 * 24);
    }
    expect(frozen.scores.scored).toBe(online.scores.scored);
    // The risk actor's state per arm: the breach flattens (the shipped onBreach), then halts once flat.
    for (const a of [frozen, online]) {
      expect(a.risk?.transitions.map((t) => [t.previous, t.state])).toEqual([['ACTIVE', 'REDUCING'], ['REDUCING', 'HALTED']]);
      expect(a.risk?.transitions[0]?.reason).toMatch(/^(DRAWDOWN|DAILY_LOSS): .*; flattening$/);
      expect(a.risk?.finalState).toBe('HALTED');
      expect(a.risk?.transitions[1]?.at.startsWith('2024-08')).toBe(true);
    }

    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { windows: unknown[]; settings: { retrainEveryDays: number } };
    expect(json.settings.retrainEveryDays).toBe(10);
    expect(json.windows).toHaveLength(1);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/\| 2024-08 crash month \| BTC \| online \| 4 \|.*\| HALTED 2024-08-\d\d \|/);
  }, 240_000);

  it('decides the same over a data folder where a second file of the symbol repeats bars of the window (it waited for ever)', async () => {
    const window = REGIME_WINDOWS.find((w) => w.name.startsWith('2024-08'));
    if (window === undefined) throw new Error('no 2024-08 window');
    const [file] = findBarFiles(testDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
    if (file === undefined) throw new Error('no BTC/USDT 1h bars');
    const root = join(dir, 'overlap-data');
    mkdirSync(join(root, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    const plain = join(dir, 'plain-data');
    mkdirSync(join(plain, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    copyFileSync(file.path, join(plain, 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv'));
    copyFileSync(file.path, join(root, 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv'));
    const [header, ...rows] = readFileSync(file.path, 'utf8').trim().split('\n');
    const repeated = rows.filter((r) => {
      const ts = Number(r.slice(0, r.indexOf(',')));
      return ts >= window.from + 3 * DAY && ts < window.from + 5 * DAY;
    });
    expect(repeated).toHaveLength(48);
    writeFileSync(join(root, 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h_extra.csv'), `${header}\n${repeated.join('\n')}\n`);
    const run = (data: string) => runRetrainVsFrozen({ data, windows: [window], symbols: ['BTC/USDT'], arms: ['frozen'], trainYears: 1, epochs: 2 });
    const a = (await run(plain)).windows[0]?.arms.frozen;
    const b = (await run(root)).windows[0]?.arms.frozen;
    if (a === undefined || b === undefined) throw new Error('an arm is missing');
    const { seconds: _a, ...first } = a;
    const { seconds: _b, ...second } = b;
    expect(first.scores.predictions).toBeGreaterThan(400);
    expect(second).toEqual(first);
  }, 240_000);

  it('runs the engine\'s own learning loop (labels → triggers → challenger → shadow → promotion → rollback) as a third arm, deterministically', async () => {
    const window = REGIME_WINDOWS.find((w) => w.name.startsWith('2024-08'));
    if (window === undefined) throw new Error('no 2024-08 window');
    const training = loadConfig().retraining.training;
    const run = () =>
      runRetrainVsFrozen({
        data: testDataDir(),
        windows: [window],
        symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
        arms: ['frozen', 'loop'],
        retrainEveryDays: 7,
        trainYears: 1,
        epochs: 3,
        loopSettings: { shadow: { predictions: 60, margin: 0, blockLabels: 20, minT: 0 }, training: { ...training, minSamples: 150, epochs: 10 } },
      });
    const a = await run();
    const w = a.windows[0];
    if (w === undefined) throw new Error('no window');
    expect(w.error).toBeNull();
    const { frozen, loop } = w.arms;
    if (frozen === undefined || loop === undefined) throw new Error('an arm is missing');
    expect(w.arms.online).toBeUndefined();
    expect(a.loop.triggers.everyMs).toBe(7 * DAY);

    // The retraining actor scored the labels of the arm's own predictions and ran whole cycles.
    const r = loop.retraining;
    if (r === undefined) throw new Error('no retraining counters');
    expect(r.scored).toBeGreaterThan(1000);
    expect(r.missingSamples).toBe(0);
    expect(r.promotions).toBeGreaterThanOrEqual(1);
    expect(r.trainings).toBeGreaterThanOrEqual(r.promotions + r.rejections);
    // The report lists each of them as the registry announced it, at the event time it happened, with its reason.
    const changes = loop.modelChanges ?? [];
    expect(changes.filter((c) => c.event === 'promoted')).toHaveLength(r.promotions);
    expect(changes.filter((c) => c.event === 'rolled_back')).toHaveLength(r.rollbacks);
    expect(changes.filter((c) => c.event === 'rejected')).toHaveLength(r.rejections);
    const times = changes.map((c) => Date.parse(c.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    for (const t of times) expect(t > window.from && t < window.to).toBe(true);
    for (const c of changes) expect(c.reason.length).toBeGreaterThan(10);
    expect(frozen.modelChanges).toBeUndefined();
    // Each promotion or rollback is what the arm served next: the served models follow the registry.
    const servedAfterFirst = loop.trainings.slice(1).map((t) => t.model);
    const moved = changes.filter((c) => c.event !== 'rejected').map((c) => `${servedAfterFirst[0]?.split('@')[0] ?? ''}@${c.version}`);
    expect(moved).toEqual(servedAfterFirst);

    // Every model served after the first is a promoted challenger (or the one a rollback restored),
    // and every sample a challenger was fitted on was labeled before it decided its first bar.
    expect(loop.trainings[0]).toEqual(frozen.trainings[0]);
    expect(loop.trainings.length).toBe(1 + r.promotions + r.rollbacks);
    const challengers = loop.trainings.filter((t) => t.source === 'samples');
    expect(challengers.length).toBe(r.promotions);
    for (const t of challengers) {
      expect(t.trainTo).toBeLessThanOrEqual(t.at);
      expect(t.trainFrom).toBeGreaterThanOrEqual(window.from);
    }
    expect(sampleTrainingLeaks(loop.trainings)).toEqual([]);
    // Swaps drop or duplicate no prediction: the same bars are decided as in the frozen arm.
    expect(Object.values(loop.scores.byModel).reduce((x, y) => x + y, 0)).toBe(frozen.scores.predictions);
    expect(loop.scores.predictions).toBe(frozen.scores.predictions);
    for (const m of Object.keys(loop.scores.byModel)) expect(loop.trainings.map((t) => t.model)).toContain(m);

    // Event time, not the fits' wall-clock time, decides when each model is served: a second run is identical.
    const b = await run();
    const again = b.windows[0]?.arms.loop;
    const { seconds: _s1, ...first } = loop;
    const { seconds: _s2, ...second } = again ?? loop;
    expect(again).toBeDefined();
    expect(second).toEqual(first);
  }, 240_000);
});

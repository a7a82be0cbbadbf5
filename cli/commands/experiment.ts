import { mkdirSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { trainingCacheOf } from '../training-cache-of.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { writeReportFiles } from '../../gateways/report/report-files.js';
import { groupWarnings } from '../../gateways/report/warning-groups.js';
import { ARMS, comparisonMarkdown, formatComparison, pooledScores, wins } from '../../models/experiments/comparison-table.js';
import type { Arm, ArmResult, ModelChange, WindowResult } from '../../models/experiments/comparison-table.js';
import { realisedLabels, scorePredictions } from '../../models/experiments/prediction-scores.js';
import type { LabelIndex } from '../../models/experiments/prediction-scores.js';
import { retrainSchedule, sampleTrainingLeaks, trainingLeaks } from '../../models/experiments/retrain-schedule.js';
import type { RetrainPoint, TrainingRecord } from '../../models/experiments/retrain-schedule.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { parseModelRef } from '../../models/registry/model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import { ModelEventSchema } from '../../streams/messages/model-event.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { backtestCurrency } from './backtest-currency.js';
import { backtestVenue } from './backtest-venue.js';
import { REGIME_SYMBOLS, REGIME_WINDOWS, windowCoverage } from './regime-windows.js';
import type { RegimeWindow } from './regime-windows.js';
import { missingBarFilesMessage } from './missing-bar-files.js';
import { loadSymbolBars } from './train.js';
import type { ServedModel } from './experiment-arm.js';
import { nonNegative, parseSymbols, positive, positiveInt, repeatedIn, timeframeArg } from '../option-parsers.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** The labels the served model is trained on and scored against (the demo's and the backtest's: 4 bars, ±0.5·ATR14). */
const HORIZON = 4;
const K_ATR = 0.5;

export type RetrainVsFrozenOptions = Readonly<{
  configFile?: string;
  data?: string;
  windows?: readonly RegimeWindow[];
  /**
   * Symbols by name: each must have bar files of the timeframe (a misspelt one is refused, with a
   * did-you-mean). Left out: the regime symbols, those without a file of the timeframe left out.
   */
  symbols?: readonly string[];
  timeframe?: string;
  /** Arms to run (default all three: frozen, online, loop). */
  arms?: readonly Arm[];
  /** Loop arm: sections of the retraining config to replace (default the config file's). */
  loopSettings?: Partial<Pick<Config['retraining'], 'triggers' | 'training' | 'shadow' | 'rollback'>>;
  /** Loop arm: challengers start from the champion's weights or not (`retraining.training.warmStart.enabled`), whatever the config says. */
  warmStart?: boolean;
  /** Online arm: retrain every this many days of event time; loop arm: its schedule trigger (default 14). */
  retrainEveryDays?: number;
  /** Between the end of a model's training data and the first bar it decides (default 24 h). */
  embargoHours?: number;
  /** Length of every training range (default 3 years, as the backtest's model). */
  trainYears?: number;
  /** MLP epochs per training (early stopping may end sooner; default 20, as the backtest's model). */
  epochs?: number;
  capital?: number;
  /** Folder for report.json and report.md. */
  reportDir?: string;
  progress?: boolean;
}>;

export type RetrainVsFrozenReport = Readonly<{
  version: 1;
  timeframe: string;
  settings: Readonly<{ retrainEveryDays: number; embargoHours: number; trainYears: number; epochs: number; horizonBars: number; kAtr: number; capital: number; arms: readonly Arm[] }>;
  /** The retraining actor's settings in the loop arm (the config's, with the schedule trigger set). */
  loop: Config['retraining'];
  windows: readonly WindowResult[];
  /** The arms that were asked for only (an arm not run is absent, not a row of zeros). */
  pooled: Readonly<Partial<Record<Arm, ReturnType<typeof pooledScores>>>>;
  wins: ReturnType<typeof wins>;
  seconds: number;
}>;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Records a change of the served alias (`production`) or a rejection the registry announced;
 * registrations and the `candidate` alias a challenger is shadowed under are left out.
 */
function noteChange(changes: ModelChange[], data: Uint8Array, eventTime: number): void {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    raw = undefined;
  }
  const parsed = ModelEventSchema.safeParse(raw);
  if (!parsed.success) {
    // Only the registry publishes here; a message that is not a model event changes nothing, and is said.
    process.stderr.write(`notice: a message on the model subjects is not a model event (${parsed.error.issues[0]?.message ?? 'not JSON'}); ignored\n`);
    return;
  }
  const e = parsed.data;
  // `candidate` coming off a cycle's challenger changes nothing served (production is never removed).
  if (e.event === 'registered' || e.event === 'alias_removed' || (e.event !== 'rejected' && e.alias !== 'production')) return;
  changes.push({ at: iso(eventTime), event: e.event, version: e.version, previousVersion: e.previousVersion, reason: e.reason });
}

/**
 * The loop arm's models after the first, as the registry recorded them: each was fitted by the
 * retraining actor on labeled samples (a rollback serves an earlier one again).
 */
async function challengersServed(registry: ModelRegistry, served: readonly ServedModel[], before: readonly TrainingRecord[]): Promise<TrainingRecord[]> {
  const out: TrainingRecord[] = [];
  for (const s of served) {
    const known = [...before, ...out].find((r) => r.model === s.model);
    if (known !== undefined) {
      out.push({ ...known, at: s.at });
      continue;
    }
    const v = await registry.get(s.model);
    const samples = v.metrics['samples'];
    out.push({ at: s.at, source: 'samples', trainFrom: v.trainRange.from, trainTo: v.trainRange.to, firstBarTs: v.trainRange.from, lastBarTs: v.trainRange.to - 1, bars: typeof samples === 'number' ? samples : 0, model: s.model });
  }
  return out;
}

/** Refuses symbols with no bar file of `tf` under `dataDir`, naming them (a listing: no bar is read). */
function requireBarFiles(dataDir: string, symbols: readonly string[], tf: string): void {
  const missing = symbols.filter((symbol) => findBarFiles(dataDir, { symbols: [symbol], timeframe: tf }).length === 0);
  if (missing.length === 0) return;
  const held = findBarFiles(dataDir, { timeframe: tf }).map((f) => f.symbol);
  throw new InvalidArgumentError(missingBarFilesMessage(dataDir, missing, tf, held));
}

/**
 * `sextant experiment retrain-vs-frozen`: per regime window, two arms through the same backtest
 * engine and costs — a model trained once before the window (frozen) and one retrained through
 * the training pipeline every `retrainEveryDays` of event time inside it (online), each training
 * reading only bars that closed by its point − embargo. Scores every prediction against its
 * realised direction (the training labels' rules) and compares the backtest metrics.
 */
export async function runRetrainVsFrozen(opts: RetrainVsFrozenOptions): Promise<RetrainVsFrozenReport> {
  const started = performance.now();
  const tf = TimeframeSchema.parse(opts.timeframe ?? '1h');
  const barMs = TIMEFRAME_MS[tf];
  const base = loadConfig({ file: opts.configFile });
  const dataDir = requireDataDir(opts.data ?? base.data.dir);
  // A symbol given by name with no bar file (`btc/usdt`) sat out every window ("no symbol has data
  // for this window"), or beside others was refused as a currency of its own ("usdt"): refused
  // first, as a backtest does, with a did-you-mean for one the data holds in another spelling.
  if (opts.symbols !== undefined) requireBarFiles(dataDir, opts.symbols, tf);
  // Each arm's metrics and baselines count money in one currency, as a backtest's: symbols quoted in
  // another than the account's are refused before anything is read or trained (backtest-currency.ts).
  backtestCurrency(base.risk, opts.symbols ?? REGIME_SYMBOLS);
  // The venue the bars' folders say, against the config's `venue:`, as a backtest checks it
  // (backtest-venue.ts): bars of two venues are refused before anything is trained (one asset
  // was fed both venues' files, merged), and a config's venue over other data runs under the
  // data's, each arm warning of it (Binance bars ran as "kraken", and nothing said so).
  const ran = backtestVenue({ config: base.venue, data: { data: dataDir, bars: findBarFiles(dataDir, { symbols: opts.symbols ?? REGIME_SYMBOLS, timeframe: tf }).map((f) => f.venue), ticks: [] } });
  if (opts.reportDir !== undefined) reportFolder(opts.reportDir);
  const settings = {
    retrainEveryDays: opts.retrainEveryDays ?? 14,
    embargoHours: opts.embargoHours ?? 24,
    trainYears: opts.trainYears ?? 3,
    epochs: opts.epochs ?? 20,
    horizonBars: HORIZON,
    kAtr: K_ATR,
    capital: opts.capital ?? 10_000,
    arms: ARMS.filter((a) => opts.arms === undefined || opts.arms.includes(a)),
  };
  // The loop arm: the config's retraining actor, on the served model's family, with the online
  // arm's schedule as its schedule trigger (its decay, drift and ADWIN triggers as configured).
  // MLflow off: its challengers are versions of a throwaway registry, one per window, which would be
  // logged to the desk's experiment and registered under the production model's MLflow name.
  const { trackingUrl: _desksMlflow, ...mlflowOff } = base.retraining.mlflow;
  const loopSettings: Config['retraining'] = {
    ...base.retraining,
    ...opts.loopSettings,
    mlflow: mlflowOff,
    enabled: true,
    model: parseModelRef(base.strategy.model).name,
    triggers: { ...(opts.loopSettings?.triggers ?? base.retraining.triggers), everyMs: settings.retrainEveryDays * DAY },
  };
  if (opts.warmStart !== undefined) loopSettings.training = { ...loopSettings.training, warmStart: { ...loopSettings.training.warmStart, enabled: opts.warmStart } };
  const embargoMs = settings.embargoHours * 3_600_000;
  const note = (s: string): void => void (opts.progress === true && process.stderr.write(`${s}\n`));
  const served = parseModelRef(base.strategy.model);
  // The frozen arm's model and each retraining of a window are what a repeated experiment trains again.
  const cache = await trainingCacheOf(base, (l) => note(`notice: ${l}`));
  const results: WindowResult[] = [];
  // A latency no order outlives: said once, before any window is trained or replayed, as a
  // backtest says it (its arms' orders are planned over the labels' horizon). Loaded here, as below.
  const { orderLifeOf, warnOrderLife } = await import('./backtest-warnings.js');
  warnOrderLife(orderLifeOf(base, barMs, HORIZON * barMs), note);

  for (const w of opts.windows ?? REGIME_WINDOWS) {
    const skipped: { symbol: string; why: string }[] = [];
    const symbols: string[] = [];
    for (const symbol of opts.symbols ?? REGIME_SYMBOLS) {
      // The regime suite's rule: data at the window's start and the bars that warm the features;
      // a short history is no reason to sit out (each model is trained on the window's symbols together).
      const paths = findBarFiles(dataDir, { symbols: [symbol], timeframe: tf }).map((f) => f.path);
      const why = paths.length === 0 ? `no ${tf} file` : await windowCoverage(paths, symbol, w, tf);
      if (why === undefined) symbols.push(symbol);
      else skipped.push({ symbol, why });
    }
    const head = { window: w.name, from: iso(w.from), to: iso(w.to), symbols, skipped };
    if (symbols.length === 0) {
      results.push({ ...head, arms: {}, error: 'no symbol has data for this window' });
      continue;
    }
    try {
      // The backtest's wiring: own namespace, every symbol allowed, the strategy on the replayed
      // timeframe, and timers that never come due inside a window (this command had its own copy
      // with 2^31 − 1 ms, 24.8 days of event time, which marked assets idle in longer windows).
      // Loaded here, not with the CLI: the engine's wiring is heavy, and `sextant ctl` should start fast.
      const { backtestConfig } = await import('./backtest.js');
      const { runArm } = await import('./experiment-arm.js');
      const cfg = backtestConfig(base, symbols, { timeframe: tf, capital: settings.capital, venue: ran.venue });
      const files = findBarFiles(dataDir, { symbols, timeframe: tf }).map((f) => ({ path: f.path, symbol: f.symbol }));
      // One registry per window, on its own bus: both arms serve from it; the strategy swaps by swapTo.
      const regBus = createMemoryBus();
      await regBus.ensureStreams(streamSpecs(cfg));
      const regClock = createSimulatedClock(w.from);
      const registry = createMemoryModelRegistry({ bus: regBus, subjects: subjectsFor(cfg.prefix), clock: regClock });
      const schedule = (everyMs?: number): RetrainPoint[] => retrainSchedule({ from: w.from, to: w.to, embargoMs, trainMs: settings.trainYears * YEAR, ...(everyMs !== undefined ? { everyMs } : {}) });

      const train = async (p: RetrainPoint): Promise<TrainingRecord> => {
        regClock.advanceTo(Math.max(regClock.now(), p.at));
        const t0 = performance.now();
        const bars = await loadSymbolBars(dataDir, symbols, tf, { from: p.trainFrom, to: p.trainTo });
        // A loop, not Math.min(...all): a spread of ~100 k timestamps (5m bars) overflows the stack.
        let firstBarTs = Number.POSITIVE_INFINITY;
        let lastBarTs = Number.NEGATIVE_INFINITY;
        let barCount = 0;
        for (const s of bars) {
          for (const b of s.bars) {
            if (b.ts < firstBarTs) firstBarTs = b.ts;
            if (b.ts > lastBarTs) lastBarTs = b.ts;
          }
          barCount += s.bars.length;
        }
        const { trainBaseline } = await import('../../models/training/train-baseline.js'); // tfjs loads with it
        const report = await trainBaseline(bars, { source: dataDir, symbols, from: p.trainFrom, to: p.trainTo }, { name: served.name, timeframe: tf, barMs, horizon: HORIZON, kAtr: K_ATR, epochs: settings.epochs }, registry, cache);
        await registry.promote(report.model.name, report.model.version, { actor: 'sextant experiment', reason: `retrain-vs-frozen, served from ${iso(p.at)}` });
        const rec: TrainingRecord = { at: p.at, trainFrom: p.trainFrom, trainTo: p.trainTo, firstBarTs, lastBarTs, bars: barCount, model: `${report.model.name}@${report.model.version}` };
        note(`  ${report.cached ? 'registered (from the training cache)' : 'trained'} ${rec.model} for ${iso(p.at).slice(0, 10)} on ${rec.bars} bars ${iso(rec.firstBarTs).slice(0, 10)} → ${iso(rec.lastBarTs + barMs).slice(0, 16)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return rec;
      };

      // The frozen model is also the online arm's first: the same training, done once.
      const [first] = schedule();
      if (first === undefined) throw new Error('empty schedule');
      note(`${w.name}: ${symbols.join(', ')}`);
      const firstRecord = await train(first);
      const firstVersion = Number(firstRecord.model.split('@')[1]);
      const labelBars = await loadSymbolBars(dataDir, symbols, tf, { from: w.from - 60 * DAY, to: w.to + (HORIZON + 1) * barMs });
      const labels: LabelIndex = realisedLabels(labelBars, { horizon: HORIZON, kAtr: K_ATR, barMs, from: w.from, to: w.to });

      const arms: Partial<Record<Arm, ArmResult>> = {};
      // The loop arm labels its own predictions over the labels' horizon.
      const loopCfg: Config = { ...cfg, retraining: loopSettings, labeling: { ...cfg.labeling, horizonBars: HORIZON } };
      for (const arm of settings.arms) {
        const t0 = performance.now();
        if ((await registry.get(`${served.name}@production`)).version !== firstVersion) {
          await registry.promote(served.name, firstVersion, { actor: 'sextant experiment', reason: `${arm} arm starts on the model trained before the window` });
        }
        const trainings: TrainingRecord[] = [firstRecord];
        const points = arm === 'online' ? schedule(settings.retrainEveryDays * DAY).slice(1) : [];
        // The loop arm's registry changes, as the registry announces them (core delivery of its events).
        // Stamped with the replay's event time when they arrive (the registry's own clock is the
        // window's, moved by the other arms' trainings).
        const changes: ModelChange[] = [];
        let eventTime = w.from;
        const watched = arm !== 'loop' ? undefined : regBus.subscribe(`${cfg.prefix}.model.>`, (_subject, data) => void noteChange(changes, data, eventTime));
        const run = await runArm(arm === 'loop' ? loopCfg : cfg, {
          registry,
          learningLoop: arm === 'loop',
          files,
          tf,
          barMs,
          window: w,
          capital: settings.capital,
          points,
          retrain: async (p) => void trainings.push(await train(p)),
          onEventTime: (ts) => void (eventTime = ts),
          ...(ran.warning !== undefined ? { venueWarning: ran.warning } : {}),
        });
        watched?.unsubscribe(); // runArm ends with timers: every announcement's core delivery (a microtask) has run
        if (arm === 'loop') trainings.push(...(await challengersServed(registry, run.served.slice(1), trainings)));
        const leaks = [...trainingLeaks(trainings.filter((t) => t.source !== 'samples'), barMs, embargoMs), ...sampleTrainingLeaks(trainings)];
        if (leaks.length > 0) throw new Error(`leak: ${leaks.join('; ')}`);
        arms[arm] = {
          arm,
          scores: scorePredictions(run.predictions, labels),
          metrics: run.metrics,
          trainings,
          seconds: Math.round((performance.now() - t0) / 100) / 10,
          risk: run.risk,
          ...(run.retraining !== undefined ? { retraining: run.retraining } : {}),
          ...(watched !== undefined ? { modelChanges: changes } : {}),
          warnings: run.warnings,
        };
        const a = arms[arm];
        const r = a.retraining;
        const loop = r === undefined ? '' : `; retraining actor: ${r.scored} labels scored, ${r.trainings} challengers fitted, ${r.promotions} promoted, ${r.rejections} rejected, ${r.rollbacks} rolled back`;
        const halted = run.risk.transitions.map((t) => `${t.state} ${t.at.slice(0, 10)}`).join(' → ');
        note(`  ${arm}: ${a.scores.scored} scored, log loss ${a.scores.logLoss?.toFixed(4) ?? '—'}, return ${(100 * a.metrics.total_return).toFixed(2)}% in ${a.seconds} s; risk ${halted === '' ? run.risk.finalState : halted}${loop}`);
      }
      await regBus.close();
      results.push({ ...head, arms, error: null });
    } catch (e) {
      results.push({ ...head, arms: {}, error: (e as Error).message });
    }
  }

  // What each arm's backtest warned of, each distinct warning once, naming every window and arm that gave it.
  const warnings = armWarnings(results);
  for (const w of warnings) note(`warning: ${w}`);
  const report: RetrainVsFrozenReport = {
    version: 1,
    timeframe: tf,
    settings,
    windows: results,
    loop: loopSettings,
    pooled: Object.fromEntries(settings.arms.map((arm) => [arm, pooledScores(results, arm)])),
    wins: wins(results, settings.arms),
    seconds: Math.round((performance.now() - started) / 1000),
  };
  if (opts.reportDir !== undefined) {
    const s = settings;
    const l = loopSettings;
    const md = [
      `# Online-retrained vs frozen model (${tf})`,
      '',
      `Arms: ${s.arms.join(', ')}. Retrain every ${s.retrainEveryDays} days, embargo ${s.embargoHours} h, ${s.trainYears}-year training ranges, ${s.epochs} epochs; labels ${s.horizonBars} bars, ±${s.kAtr}·ATR14; capital ${s.capital}.`,
      ...(s.arms.includes('loop')
        ? [
            '',
            `Loop arm (the retraining actor): schedule trigger every ${s.retrainEveryDays} days, decay past log loss ${l.triggers.maxLogLoss} over ${l.triggers.decayWindow} labels, PSI ${l.triggers.psiThreshold}, ADWIN δ ${l.triggers.adwinDelta}; challengers on the latest ${l.training.maxSamples} labeled predictions (at least ${l.training.minSamples}), ${l.training.epochs} epochs${l.training.warmStart.enabled ? `, warm-started from the champion's weights at learning rate ${l.training.warmStart.learningRate}` : ', each fitted from scratch'}; shadow ${l.shadow.predictions} predictions, margin ${l.shadow.margin}; rollback watch ${l.rollback.watchLabels} labels and ${l.rollback.watchMs / 3_600_000} h of event time, margin ${l.rollback.margin}.`,
          ]
        : []),
      ...(warnings.length > 0 ? ['', '## Warnings', '', ...warnings.map((w) => `- ${w}`)] : []),
      '',
      comparisonMarkdown(results),
    ].join('\n');
    // Both files whole or neither (the folder was made before the first window ran).
    writeReportFiles(opts.reportDir, [
      { name: 'report.json', content: `${JSON.stringify(report, null, 2)}\n` },
      { name: 'report.md', content: md },
    ]);
  }
  return report;
}

/**
 * The arms' warnings (`arms[arm].warnings`), each distinct one once, naming every window and arm
 * that gave it: `2024-08 crash month (frozen and online arms); 2025-04 crash month (frozen arm): …`.
 * Said on stderr after the run and at the top of report.md.
 */
export function armWarnings(windows: readonly WindowResult[]): string[] {
  const runs = windows.flatMap((w) => Object.values(w.arms).map((a) => ({ where: { window: w.window, arm: a.arm }, warnings: a.warnings ?? [] })));
  return groupWarnings(runs).map((g) => {
    const byWindow = new Map<string, string[]>();
    for (const { window, arm } of g.where) byWindow.set(window, [...(byWindow.get(window) ?? []), arm]);
    const where = [...byWindow].map(([window, arms]) => `${window} (${arms.length === 1 ? `${arms[0] as string} arm` : `${arms.slice(0, -1).join(', ')} and ${arms.at(-1) as string} arms`})`);
    return `${where.join('; ')}: ${g.warning}`;
  });
}

/**
 * Makes the `--report` folder before any window runs, or throws an InvalidArgumentError naming
 * it: a `--report` that is a file (or under one) failed after every window had run, with a bare
 * "EEXIST: file already exists, mkdir …", and the table was never printed.
 */
function reportFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new InvalidArgumentError(`--report ${dir}: cannot make the folder (${code}${code === 'EEXIST' || code === 'ENOTDIR' ? ': a file is in the way' : ''}); give another folder`);
  }
}

/**
 * Which windows failed (their error is in the table and the report), or undefined when none did;
 * the command then exits 1. It exited 0 when every window had failed and nothing was compared.
 */
export function failedWindows(windows: readonly WindowResult[]): string | undefined {
  const failed = windows.filter((w) => w.error !== null);
  if (failed.length === 0) return undefined;
  return `${failed.length} of ${windows.length} window${windows.length === 1 ? '' : 's'} failed: ${failed.map((w) => `${w.window}: ${w.error ?? ''}`).join('; ')}`;
}

/**
 * A flag given for an arm that `--arms` leaves out, or undefined (`given(key)`: the user set
 * option `key`). `--no-warm-start` without the loop arm, or `--retrain-every` with the frozen arm
 * alone, changed nothing and said nothing.
 */
export function armFlagProblem(arms: readonly Arm[], given: (key: string) => boolean): string | undefined {
  if (given('warmStart') && !arms.includes('loop')) return `--warm-start and --no-warm-start go with the loop arm; --arms ${arms.join(',')} does not run it`;
  if (given('retrainEvery') && !arms.includes('online') && !arms.includes('loop')) return `--retrain-every goes with the online or loop arm; --arms ${arms.join(',')} runs neither`;
  return undefined;
}

/** `regimes` (all five windows) or 1-based window numbers, e.g. `3,4`. */
function parseWindows(v: string): RegimeWindow[] {
  if (v === 'regimes') return [...REGIME_WINDOWS];
  // A repeated window ran twice and counted twice in the pooled scores and the wins.
  const twice = repeatedIn(v.split(',').map((s) => s.trim()));
  if (twice.length > 0) throw new InvalidArgumentError(`window ${twice.join(', ')} given more than once`);
  return v.split(',').map((s) => {
    const w = REGIME_WINDOWS[Number(s.trim()) - 1];
    if (!/^\d+$/.test(s.trim()) || w === undefined) throw new InvalidArgumentError(`"regimes" or window numbers 1…${REGIME_WINDOWS.length}: ${REGIME_WINDOWS.map((x, i) => `${i + 1} ${x.name}`).join(', ')}`);
    return w;
  });
}

/** Comma-separated arm names. */
function parseArms(v: string): Arm[] {
  const out = v.split(',').map((x) => x.trim());
  for (const a of out) if (!(ARMS as readonly string[]).includes(a)) throw new InvalidArgumentError(`arms are ${ARMS.join(', ')}; got "${a}"`);
  const twice = repeatedIn(out);
  if (twice.length > 0) throw new InvalidArgumentError(`${twice.join(', ')} given more than once`);
  return out as Arm[];
}

/** `sextant experiment …`: offline experiments over the historical data. */
export function experimentCommand(configFile: () => string | undefined): Command {
  const cmd = new Command('experiment').description('offline experiments over historical bars');
  cmd
    .command('retrain-vs-frozen')
    .description('per regime window: a model trained once before it vs one retrained inside it on a rolling schedule vs the engine\'s own retraining actor, through the same backtest engine; prints the table, writes report.json and report.md')
    .addOption(new Option('--windows <list>', '"regimes" (all five) or window numbers, e.g. 3,4').argParser(parseWindows).default([...REGIME_WINDOWS], 'regimes'))
    .addOption(
      new Option('--symbols <list>', 'comma-separated symbols (those without data in a window are left out; one with no bar file of --timeframe is refused)')
        .argParser(parseSymbols)
        .default([...REGIME_SYMBOLS], REGIME_SYMBOLS.join(',')),
    )
    .option('--timeframe <tf>', 'bar timeframe', timeframeArg, '1h')
    .addOption(
      new Option('--arms <list>', 'arms to run: frozen (trained once before the window), online (retrained on a schedule through the training pipeline), loop (the engine\'s labeling and retraining actors)')
        .argParser(parseArms)
        .default([...ARMS], ARMS.join(',')),
    )
    .option('--retrain-every <days>', 'online arm: days of event time between retrainings; loop arm: its schedule trigger', positive, 14)
    .option('--embargo <hours>', 'hours between a model\'s training data and the first bar it decides', nonNegative, 24)
    .option('--train-years <years>', 'length of every training range', positive, 3)
    .option('--epochs <n>', 'MLP epochs per training', positiveInt, 20)
    .option('--capital <amount>', 'starting capital in quote currency', positive, 10_000)
    .option('--data <dir>', 'market-data folder (default: ../shared/data or SEXTANT_DATA_DIR)')
    .option('--warm-start', 'loop arm: challengers start from the champion\'s weights (continual learning; the default config does)')
    .option('--no-warm-start', 'loop arm: challengers are fitted from scratch on the recent labeled predictions')
    .option('--report <dir>', 'folder for report.json and report.md')
    .action(async (o: { windows: RegimeWindow[]; symbols: string[]; timeframe: string; arms: Arm[]; retrainEvery: number; embargo: number; trainYears: number; epochs: number; capital: number; warmStart?: boolean; data?: string; report?: string }, sub: Command) => {
      const armProblem = armFlagProblem(o.arms, (key) => sub.getOptionValueSource(key) === 'cli');
      if (armProblem !== undefined) throw new InvalidArgumentError(armProblem);
      const file = configFile();
      const r = await runRetrainVsFrozen({
        ...(file !== undefined ? { configFile: file } : {}),
        ...(o.data !== undefined ? { data: o.data } : {}),
        ...(o.report !== undefined ? { reportDir: o.report } : {}),
        windows: o.windows,
        // Named on the command line: each must have bar files; the default's are left out where they have none.
        ...(sub.getOptionValueSource('symbols') === 'cli' ? { symbols: o.symbols } : {}),
        timeframe: o.timeframe,
        arms: o.arms,
        retrainEveryDays: o.retrainEvery,
        embargoHours: o.embargo,
        trainYears: o.trainYears,
        epochs: o.epochs,
        capital: o.capital,
        ...(o.warmStart !== undefined ? { warmStart: o.warmStart } : {}),
        progress: true,
      });
      process.stdout.write(`${formatComparison(r.windows)}\n`);
      const failed = failedWindows(r.windows);
      if (failed !== undefined) {
        process.stderr.write(`sextant: ${failed}\n`);
        process.exitCode = 1;
      }
    });
  return cmd;
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { TimeframeSchema } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';
import { MAX_SPREAD_BPS } from '../../models/execution/bar-spread.js';
import { MAX_FEE_BPS, MAX_REBATE_BPS } from '../../models/execution/fee-limit.js';
import { MAX_IMPACT_COEFF } from '../../models/execution/impact-limit.js';
import { MAX_LATENCY_MS } from '../../models/execution/latency-limit.js';
import type { SpreadModel } from '../../models/execution/bar-spread.js';
import { emptyWindow, timeFromText } from '../option-parsers.js';

/** A backtest spec that cannot be used; the message names the file and the key. Not retryable. */
export class BacktestSpecError extends Error {
  override readonly name = 'BacktestSpecError';
  readonly retryable = false;
}

const time = z.union([z.number().int().nonnegative(), z.string()], { error: 'a date (YYYY-MM-DD, ISO time) or epoch ms' }).transform((v, ctx) => {
  // An unquoted `from: 20240101` is a YAML number: read like the same digits on the command line.
  let ms: number | undefined;
  try {
    ms = timeFromText(String(v));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a date (YYYY-MM-DD, YYYYMMDD, ISO time or epoch ms): ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});
const bps = z.number().nonnegative();
const window = z.number().int().min(1).optional();

const SpreadSchema = z.discriminatedUnion('model', [
  z.object({ model: z.literal('fixed') }).strict(),
  z.object({ model: z.literal('range-fraction'), fraction: z.number().min(0).max(1), window }).strict(),
  z.object({ model: z.literal('corwin-schultz'), window }).strict(),
]);

/** Costs of the paper venue; each key left out keeps the config's value (config `paperVenue`). */
export const BacktestCostsSchema = z
  .object({
    takerFeeBps: bps.lt(MAX_FEE_BPS, `under ${MAX_FEE_BPS} bps (a fee under 100 % of the notional)`),
    makerFeeBps: z.number().min(-MAX_REBATE_BPS, `at least −${MAX_REBATE_BPS} bps (a rebate of at most 1 % of the notional)`).lt(MAX_FEE_BPS, `under ${MAX_FEE_BPS} bps (a fee under 100 % of the notional)`),
    /** Full spread where no quote gives one; with a bar-based `spread` model, until it has warmed up. */
    spreadBps: bps.lt(MAX_SPREAD_BPS, `under ${MAX_SPREAD_BPS} bps (a half spread under 100 %)`),
    /** How the spread is taken from bars: `fixed` (spreadBps), `range-fraction`, `corwin-schultz`. */
    spread: SpreadSchema,
    impactCoeff: z.number().nonnegative().max(MAX_IMPACT_COEFF, `at most ${MAX_IMPACT_COEFF} (measured square-root impact coefficients are of order 1)`),
    maxVolumeShare: z.number().gt(0).max(1),
    /** Order latency in event time (ms). */
    latencyMs: z.number().nonnegative().max(MAX_LATENCY_MS, `at most ${MAX_LATENCY_MS} (a day: venue latencies are milliseconds to seconds)`),
  })
  .partial()
  .strict();
export type BacktestCosts = z.infer<typeof BacktestCostsSchema>;

/**
 * `sextant backtest --spec <yaml>`: the inputs of a backtest in one file. Every key is optional
 * here (flags may give it); relative paths are resolved against the spec's folder.
 *
 * @example
 * symbols: [BTC/USDT, ETH/USDT]
 * from: 2023-01-01
 * to: 2023-03-01
 * timeframe: 1h
 * source: pg                      # or csv (default), with `data: path`
 * strategy: { name: alpha, model: direction-mlp@production }
 * costs: { takerFeeBps: 10, spread: { model: corwin-schultz, window: 20 }, impactCoeff: 0.5, latencyMs: 250, maxVolumeShare: 0.1 }
 * report: reports/early-2023
 */
/** A strategy's name, as a spec's `strategy.name` and `--strategy` take it. */
const StrategyNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -');

export const BacktestSpecSchema = z
  .object({
    symbols: z.array(z.string().min(1).max(64)).min(1),
    from: time,
    to: time,
    timeframe: TimeframeSchema,
    /** Venue id the bars are stored under (default: the data's, by the bars' folder or the tick files' names, else config `venue`); one the data contradicts is refused (backtest-venue.ts). */
    venue: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'letters, digits and -'),
    source: z.enum(['csv', 'pg']),
    /** CSV source: a bar file or a folder of OHLCV CSVs. */
    data: z.string().min(1),
    capital: z.number().positive(),
    report: z.string().min(1),
    strategy: z
      .object({
        name: StrategyNameSchema,
        model: z.string().regex(/^[A-Za-z0-9_-]+(@[A-Za-z0-9_-]+)?$/, 'name or name@version/alias'),
      })
      .partial()
      .strict(),
    costs: BacktestCostsSchema,
    /** A registered model to serve (`name`, `name@version`, `name@alias`) instead of training one. */
    model: z.string().regex(/^[A-Za-z0-9_-]+(@[A-Za-z0-9_-]+)?$/, 'name or name@version/alias'),
    /** Trades or bookTicker CSVs replayed beside the bars: `SYMBOL=file`, or `file` with one symbol. */
    ticks: z.array(z.string().min(1)).min(1),
  })
  .partial()
  .strict();
export type BacktestSpec = z.infer<typeof BacktestSpecSchema>;

/** The keys of an object schema, each nested object's keys in braces (`costs: {takerFeeBps, …}`). */
function keysOf(shape: Readonly<Record<string, z.ZodType>>): string {
  return Object.entries(shape)
    .map(([k, v]) => {
      const inner = v instanceof z.ZodOptional ? v.unwrap() : v;
      if (inner instanceof z.ZodObject) return `${k}: {${keysOf(inner.shape)}}`;
      // costs.spread: the fields of each of its models, once each.
      if (inner instanceof z.ZodDiscriminatedUnion) return `${k}: {${[...new Set(inner.options.flatMap((o) => (o instanceof z.ZodObject ? Object.keys(o.shape) : [])))].join(', ')}}`;
      return k;
    })
    .join(', ');
}

/** Every key a spec takes, as `--spec`'s help lists them: read off the schema, so the help cannot name fewer than it accepts. */
export const BACKTEST_SPEC_KEYS = keysOf(BacktestSpecSchema.shape);

/**
 * What a single backtest given no report folder is told, whether the command line (no --spec) or
 * the spec's resolution found it; `--suite` and `--walk-forward` take no --spec, so not its key.
 */
export function missingReportMessage(run: 'single' | '--suite' | '--walk-forward' = 'single'): string {
  return run === 'single' ? 'give --report <dir> (or `report:` in a --spec file)' : `give --report <dir> (${run} takes no --spec)`;
}

const issuesText = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string =>
  issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(spec)'}: ${i.message}`).join('; ');

/** Validates a parsed spec; `origin` (a file name) prefixes the error, relative paths resolve against `baseDir`. */
export function parseBacktestSpec(raw: unknown, origin: string, baseDir?: string): BacktestSpec {
  const r = BacktestSpecSchema.safeParse(raw ?? {});
  if (!r.success) throw new BacktestSpecError(`${origin}: ${issuesText(r.error.issues)}`);
  const spec = r.data;
  if (spec.from !== undefined && spec.to !== undefined && !(spec.from < spec.to)) throw new BacktestSpecError(`${origin}: from must be before to`);
  // Both name the model to serve: `model:` silently won over `strategy.model:`.
  if (spec.model !== undefined && spec.strategy?.model !== undefined && spec.model !== spec.strategy.model) {
    throw new BacktestSpecError(`${origin}: model: ${spec.model} and strategy.model: ${spec.strategy.model} both name the model to serve: give one (model: serves a registered model)`);
  }
  const abs = (p: string | undefined): string | undefined => (p === undefined || baseDir === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const data = abs(spec.data);
  const report = abs(spec.report);
  const ticks = spec.ticks?.map((t) => {
    const { symbol, path } = splitTickEntry(t);
    return symbol === undefined ? (abs(path) as string) : `${symbol}=${abs(path) as string}`;
  });
  return { ...spec, ...(data !== undefined ? { data } : {}), ...(report !== undefined ? { report } : {}), ...(ticks !== undefined ? { ticks } : {}) };
}

/** Reads and validates a YAML spec file. */
export function loadBacktestSpec(path: string): BacktestSpec {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new BacktestSpecError(`${path}: ${(e as Error).message}`);
  }
  return parseBacktestSpec(raw, path, dirname(resolve(path)));
}

/** A trades or quotes CSV a backtest replays beside the bars of `symbol`. */
export type TickFile = Readonly<{ symbol: string; path: string }>;

/** `BASE/QUOTE=file` → its symbol and file; a plain `file` has no symbol. */
function splitTickEntry(v: string): { symbol: string | undefined; path: string } {
  const m = /^([A-Za-z0-9]+\/[A-Za-z0-9]+)=(.*)$/.exec(v);
  return m === null ? { symbol: undefined, path: v } : { symbol: m[1] as string, path: m[2] as string };
}

/**
 * A `--ticks` value (or a spec's `ticks:` entry): `SYMBOL=file`, or `file` when the backtest has one
 * symbol. A file's name does not say its symbol reliably (`binance_BTCUSDT_…`), so it is never
 * guessed from there.
 */
export function parseTickFile(v: string, symbols: readonly string[]): TickFile {
  const { symbol, path } = splitTickEntry(v);
  const sym = symbol ?? (symbols.length === 1 ? symbols[0] : undefined);
  if (sym === undefined) throw new BacktestSpecError(`ticks ${v}: with several symbols say whose ticks they are (SYMBOL=file)`);
  if (path.length === 0) throw new BacktestSpecError(`ticks ${v}: no file given`);
  return { symbol: sym, path };
}

/** What the command line gave explicitly (flags win over the spec). */
export type BacktestFlags = Partial<
  Readonly<{
    symbols: string[];
    from: number;
    to: number;
    timeframe: string;
    data: string;
    source: 'csv' | 'pg';
    capital: number;
    report: string;
    model: string;
    /** `--strategy <name>`: the strategy's name (its subjects, durables and report). */
    strategy: string;
    /** Cost flags, each over the spec's `costs` key of the same name. */
    latencyMs: number;
    takerFeeBps: number;
    makerFeeBps: number;
    spreadBps: number;
    spreadModel: NonNullable<BacktestCosts['spread']>;
    impactCoeff: number;
    maxVolumeShare: number;
    /** `--ticks`, repeatable: over the spec's `ticks` as a whole. */
    ticks: string[];
  }>
>;

/** The cost flags and the `costs` key each one sets. */
const COST_FLAGS = ['latencyMs', 'takerFeeBps', 'makerFeeBps', 'spreadBps', 'impactCoeff', 'maxVolumeShare'] as const;

/** Flags (and `--spec`) that only a single backtest takes, not `--suite` or `--walk-forward`. */
export const SINGLE_BACKTEST_FLAGS = ['spec', 'source', 'model', 'strategy', 'spreadModel', 'ticks', ...COST_FLAGS] as const;

/**
 * `--spread-model fixed | corwin-schultz[:window] | range-fraction:<fraction>[:window]`, as a spec's
 * `costs.spread`; throws BacktestSpecError naming what was expected.
 */
export function parseSpreadModelFlag(v: string): NonNullable<BacktestCosts['spread']> {
  const [kind, a, b] = v.split(':');
  const raw = kind === 'range-fraction' ? { model: kind, fraction: Number(a), ...(b !== undefined ? { window: Number(b) } : {}) } : kind === 'corwin-schultz' && a !== undefined ? { model: kind, window: Number(a) } : { model: kind };
  const r = SpreadSchema.safeParse(raw);
  if (!r.success || (kind === 'fixed' && a !== undefined)) throw new BacktestSpecError(`--spread-model: expected fixed, corwin-schultz[:window] or range-fraction:<fraction>[:window], got ${JSON.stringify(v)}`);
  return r.data;
}

export type BacktestInputs = Readonly<{
  symbols: readonly string[];
  from: number;
  to: number;
  timeframe: Timeframe;
  source: 'csv' | 'pg';
  data?: string;
  venue?: string;
  capital: number;
  report: string;
  strategy?: BacktestSpec['strategy'];
  costs?: BacktestCosts;
  model?: string;
  ticks?: readonly TickFile[];
}>;

export const BACKTEST_DEFAULTS = { symbols: ['BTC/USDT'], timeframe: '1h', capital: 10_000, source: 'csv' } as const;

/** Flags over the spec over the defaults; names the missing flag or key when from, to or report is given nowhere. */
export function resolveBacktestInputs(spec: BacktestSpec | undefined, flags: BacktestFlags): BacktestInputs {
  const s = spec ?? {};
  const from = flags.from ?? s.from;
  const to = flags.to ?? s.to;
  const report = flags.report ?? s.report;
  if (from === undefined || to === undefined) throw new BacktestSpecError('give --from and --to (or `from:` and `to:` in the --spec file)');
  const empty = emptyWindow(from, to, ['from', 'to']);
  if (empty !== undefined) throw new BacktestSpecError(empty);
  if (report === undefined) throw new BacktestSpecError(missingReportMessage());
  const tf = TimeframeSchema.safeParse(flags.timeframe ?? s.timeframe ?? BACKTEST_DEFAULTS.timeframe);
  if (!tf.success) throw new BacktestSpecError(`timeframe: ${issuesText(tf.error.issues)}`);
  const costFlags: Record<string, unknown> = {};
  for (const k of COST_FLAGS) if (flags[k] !== undefined) costFlags[k] = flags[k];
  if (flags.spreadModel !== undefined) costFlags['spread'] = flags.spreadModel;
  const checked = Object.keys(costFlags).length === 0 ? undefined : BacktestCostsSchema.safeParse({ ...s.costs, ...costFlags });
  if (checked !== undefined && !checked.success) throw new BacktestSpecError(`cost flags: ${issuesText(checked.error.issues)}`);
  const costs = checked?.data ?? s.costs;
  const strategy = flags.strategy !== undefined ? { ...s.strategy, name: flags.strategy } : s.strategy;
  if (flags.strategy !== undefined && !StrategyNameSchema.safeParse(flags.strategy).success) throw new BacktestSpecError(`--strategy: letters, digits, _ and - (1 to 64), got ${JSON.stringify(flags.strategy)}`);
  const data = flags.data ?? s.data;
  if ((flags.source ?? s.source) === 'pg' && data !== undefined) throw new BacktestSpecError(`data ${data}: CSV bars, but the source is pg (bars from PostgreSQL): drop one`);
  const symbols = flags.symbols ?? s.symbols ?? [...BACKTEST_DEFAULTS.symbols];
  // One bar file holds one symbol: say which of what the user wrote (flag or spec key) disagree.
  if (data !== undefined && (flags.source ?? s.source) !== 'pg' && symbols.length !== 1 && existsSync(data) && statSync(data).isFile()) {
    const dataFrom = flags.data !== undefined ? `--data ${data}` : `data: ${data} (the spec)`;
    const symbolsFrom = flags.symbols !== undefined ? '--symbols' : '`symbols:` in the spec';
    throw new BacktestSpecError(`${dataFrom} is one bar file (one symbol), but ${symbolsFrom} names ${symbols.length} (${symbols.join(', ')}): give one symbol there, or a data folder`);
  }
  const ticks = (flags.ticks ?? s.ticks)?.map((t) => parseTickFile(t, symbols));
  return {
    symbols,
    from,
    to,
    timeframe: tf.data,
    source: flags.source ?? s.source ?? BACKTEST_DEFAULTS.source,
    ...(data !== undefined ? { data } : {}),
    ...(s.venue !== undefined ? { venue: s.venue } : {}),
    capital: flags.capital ?? s.capital ?? BACKTEST_DEFAULTS.capital,
    report,
    ...(strategy !== undefined ? { strategy } : {}),
    ...(costs !== undefined ? { costs } : {}),
    ...((flags.model ?? s.model) !== undefined ? { model: flags.model ?? s.model } : {}),
    ...(ticks !== undefined ? { ticks } : {}),
  };
}

/** The paper venue's spread model for a spec's `costs.spread`. */
export function spreadModelOf(costs: BacktestCosts | undefined): SpreadModel | undefined {
  const s = costs?.spread;
  if (s === undefined) return undefined;
  if (s.model === 'fixed') return { kind: 'fixed' };
  if (s.model === 'range-fraction') return { kind: 'range-fraction', fraction: s.fraction, ...(s.window !== undefined ? { window: s.window } : {}) };
  return { kind: 'corwin-schultz', ...(s.window !== undefined ? { window: s.window } : {}) };
}

/**
 * Why the flags typed (`isGiven`, as for {@link givenFlags}) contradict each other, or undefined.
 * Each of these was silently dropped: `--embargo` without `--walk-forward`, `--walk-forward` under
 * `--suite` (the suite ran), the windows and symbols under `--suite` (it picks its own), `--data`
 * with `--source pg` (the bars came from PostgreSQL).
 */
export function contradictoryBacktestFlags(isGiven: (name: string) => boolean, opts: Readonly<{ source?: string }>): string | undefined {
  if (isGiven('suite') && isGiven('walkForward')) return '--suite and --walk-forward are two kinds of run: give one';
  const picked = ['symbols', 'from', 'to'].filter(isGiven);
  if (isGiven('suite') && picked.length > 0) return `--suite regimes picks its own windows and symbols: drop ${picked.map((k) => `--${k}`).join(', ')}`;
  if (isGiven('embargo') && !isGiven('walkForward')) return '--embargo applies to --walk-forward only';
  if (opts.source === 'pg' && isGiven('data')) return '--data is for CSV bars: --source pg reads them from PostgreSQL';
  return undefined;
}

/**
 * The flags the user typed, from commander's parsed options: a flag left at its default does
 * not override the spec (`isGiven(name)` is `cmd.getOptionValueSource(name) === 'cli'`).
 */
export function givenFlags(opts: Readonly<Record<string, unknown>>, isGiven: (name: string) => boolean): BacktestFlags {
  const pick = (name: string): unknown => (isGiven(name) ? opts[name] : undefined);
  const out: Record<string, unknown> = {};
  for (const k of ['symbols', 'from', 'to', 'timeframe', 'data', 'source', 'capital', 'report', 'model', 'strategy', 'spreadModel', 'ticks', ...COST_FLAGS] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out as BacktestFlags;
}

import type { SymbolDecisions } from '../../actors/decision-path.js';
import type { Config } from '../../config/schema.js';
import { childTtlMs, policyOf } from '../execution-settings.js';
import type { ReportModel } from '../../gateways/report/model-line.js';
import { equityFractionWarning } from '../../config/sizing.js';
import type { PerSymbolLimit } from '../../models/risk/risk-limits.js';
import { capFor } from '../../models/risk/risk-limits.js';

export type LimitsForWarnings = Readonly<{ maxOrderQty: PerSymbolLimit; maxPositionQty: PerSymbolLimit }>;

/**
 * One sentence per symbol that never traded because risk refused every one of its suggestions:
 * most often a unit cap that does not fit the symbol's price (the default of 1 unit refuses every
 * order of a cheap coin), which a report of zero trades would otherwise hide. In symbol order.
 */
export function refusedSymbolWarnings(bySymbol: Readonly<Record<string, SymbolDecisions>>, limits: LimitsForWarnings): string[] {
  return Object.keys(bySymbol)
    .sort()
    .flatMap((symbol) => {
      const d = bySymbol[symbol] as SymbolDecisions;
      if (d.suggestions === 0 || d.orders > 0) return [];
      const own = symbol in limits.maxOrderQty.perSymbol || symbol in limits.maxPositionQty.perSymbol;
      return [
        `${symbol}: risk refused all ${d.suggestions} of its suggestions, so it never traded; check risk.limits for it ` +
          `(maxOrderQty ${capFor(limits.maxOrderQty, symbol)}, maxPositionQty ${capFor(limits.maxPositionQty, symbol)} in base units` +
          `${own ? '' : ', the defaults: it has no caps of its own'})`,
      ];
    });
}

/**
 * A served model (`--model`) trained on bars of the window: its figures there are in-sample, which
 * a report that reads like any other would hide (a model trained by the backtest itself ends before
 * the window). Undefined when the ranges do not meet.
 */
export function inSampleWarning(model: Readonly<{ name: string; version: number; trainRange: Readonly<{ from: number; to: number }> }>, window: Readonly<{ from: number; to: number }>): string | undefined {
  const { from, to } = model.trainRange;
  if (!(from < window.to && to > window.from)) return undefined;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return `model ${model.name}@${model.version} was trained on bars from ${day(from)} to ${day(to)}, which overlaps the window ${day(window.from)} → ${day(window.to)}: its figures there are in-sample; serve a version trained before ${day(window.from)} or give a later --from`;
}

/**
 * A served model whose data (not its training range, which {@link inSampleWarning} covers) runs to
 * the window's start or past it: its validation, calibration or test segments read bars of the
 * window or later, so its early stopping, calibration and scores may know the window (or its
 * future), which nothing else in the report would show. Undefined when `dataBeforeWindow` is not
 * false.
 */
export function windowDataWarning(model: ReportModel, window: Readonly<{ from: number }>): string | undefined {
  if (model.dataBeforeWindow !== false) return undefined;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const split = model.split;
  const late = split === null ? [] : (['validation', 'calibration', 'test'] as const).filter((k) => split[k] !== undefined && Date.parse(split[k]?.to ?? '') > window.from);
  const which = late.length > 0 ? `its ${late.join(' and ')} segment${late.length === 1 ? '' : 's'}` : split === null ? 'its training data' : "its last segment's labels";
  const end = Date.parse(model.dataRange?.to ?? model.trainRange.to);
  return `model ${model.ref} saw bars up to ${day(end)} (${which}), past the window's start ${day(window.from)}: data of the window or after it reached the model; serve a version whose data ends by ${day(window.from)} or give a later --from`;
}

/**
 * A latency at or past the time an order lives: its `expiresAt` (counted from when the order
 * exists, a bar's close for one decided on a bar) falls at or before its arrival + latency, so it
 * expires before the venue may fill any of it. Said before the run: after it, {@link unfilledWarning}
 * only sees that nothing filled. `flattenTtlMs`: the life of a close to flat (`flattenWith:
 * immediate`), checked apart: with a latency past it a breached account is never flattened.
 */
export function latencyTtlWarnings(latencyMs: number, o: Readonly<{ policy: string; childTtlMs: number; horizonMs: number; flattenTtlMs?: number }>): string[] {
  const out: string[] = [];
  if (latencyMs >= o.childTtlMs) {
    out.push(
      `costs.latencyMs (${latencyMs} ms) is at or past the orders' time-to-live (${o.childTtlMs} ms: execution.policy ${o.policy} over the model's ${o.horizonMs} ms horizon): every order will expire before it can fill; give a latency under ${o.childTtlMs} ms`,
    );
  }
  if (o.flattenTtlMs !== undefined && latencyMs >= o.flattenTtlMs) {
    out.push(`costs.latencyMs (${latencyMs} ms) is at or past execution.flattenTtlMs (${o.flattenTtlMs} ms): a close to flat after a loss-limit breach (flattenWith: immediate) will expire before it can fill, each time it is re-sent`);
  }
  return out;
}

/**
 * What decides how long a backtest's orders live and when they may first fill: the paper venue's
 * latency, the execution policy's child time-to-live over the model's horizon, the bar, and the
 * life of a close to flat (`flattenWith: immediate`).
 */
export type OrderLife = Readonly<{ latencyMs: number; policy: string; childTtlMs: number; horizonMs: number; barMs: number; flattenTtlMs?: number }>;

/** The order life of a backtest of `cfg` (its costs already over `paperVenue`) on bars of `barMs`, serving a model of `horizonMs`. */
export function orderLifeOf(cfg: Config, barMs: number, horizonMs: number): OrderLife {
  const policy = policyOf(cfg);
  return {
    latencyMs: cfg.paperVenue.latencyMs,
    policy: policy.name,
    childTtlMs: childTtlMs(policy, horizonMs, barMs),
    horizonMs,
    barMs,
    ...(cfg.execution.flattenWith === 'immediate' ? { flattenTtlMs: cfg.execution.flattenTtlMs } : {}),
  };
}

/**
 * Says, once and before anything is trained or replayed, what {@link latencyTtlWarnings} finds in
 * `life`, each line as `warning: …` to `note`: every command that runs backtests (`sextant
 * backtest`, its `--walk-forward` and `--suite regimes`, `sextant experiment`) calls it, so a
 * latency no order outlives is said the same way by each, before the work rather than after it.
 */
export function warnOrderLife(life: OrderLife, note: (line: string) => void): void {
  for (const w of latencyTtlWarnings(life.latencyMs, life)) note(`warning: ${w}`);
}

/**
 * Orders went to the paper venue and none filled: every one expired first. Names the cause where
 * the settings show it (`life`), and the settings to change: a latency (`costs.latencyMs`) at or
 * past the orders' time-to-live (each expired before it reached the market), or a time-to-live
 * shorter than a bar (on bars alone an order meets only bars that open at or after its arrival:
 * one that reaches the venue inside a bar, stamped after its symbol's last close, waits for the
 * next bar's open and expires before it); else the volume cap and a passive limit offset. Orders
 * the venue cancelled at a hole in the data (`expiredAtGap`, the one cause an expiry carries) are
 * named as such, and are the cause when they are all of them. A report of zero trades would
 * otherwise read as a strategy that decided nothing.
 */
export function unfilledWarning(stats: Readonly<{ orders: number; fills: number; expired: number; expiredAtGap?: number }>, venue: Readonly<{ latencyMs: number; maxVolumeShare: number }>, life?: OrderLife): string | undefined {
  if (!(stats.orders > 0 && stats.fills === 0)) return undefined;
  // The one cause the venue itself tells (an expiry's reason): a hole in the data cancelled the order.
  const atGap = stats.expiredAtGap ?? 0;
  const holes = (whose: string): string => `cancelled at a hole in ${whose} symbol's data (the data resumed more than 1.5 bars after it stopped, and the venue fills no order across a hole; report.json's gaps list the holes)`;
  if (atGap > 0 && atGap >= stats.expired) return `none of the ${stats.orders} orders filled (${stats.expired} expired unfilled): each was ${holes('its')}`;
  const none = `none of the ${stats.orders} orders filled (${stats.expired} expired unfilled${atGap > 0 ? `, ${atGap} of them ${holes('their')}` : ''})`;
  const ttl = life === undefined ? '' : `${life.childTtlMs} ms: execution.policy ${life.policy} over the model's ${life.horizonMs} ms horizon`;
  if (life !== undefined && venue.latencyMs >= life.childTtlMs) {
    return `${none}: costs.latencyMs (${venue.latencyMs} ms) is at or past the orders' time-to-live (${ttl}), so each expired before it could reach the market; give costs.latencyMs (--latency-ms, or paperVenue.latencyMs in the config) under ${life.childTtlMs} ms`;
  }
  if (life !== undefined && life.childTtlMs < life.barMs) {
    return (
      `${none}: the orders live ${ttl}, less than a bar (${life.barMs} ms); on bars alone an order meets only bars that open at or after it reaches the venue, ` +
      `so one that reaches it inside a bar (stamped after its symbol's last close) waits for the next bar's open and expires before it; ` +
      `give execution.policy twap or almgren-chriss (a child lives a bar or more) or a model with a longer horizon, or replay --ticks`
    );
  }
  return `${none}: check costs.latencyMs (${venue.latencyMs} ms) against the orders' time-to-live${life === undefined ? '' : ` (${ttl})`}, costs.maxVolumeShare (${venue.maxVolumeShare}) and execution.limitOffsetBps (a passive limit the market never reaches)`;
}

/**
 * A curve (the strategy's, a baseline's) whose equity reached zero or below: the account was
 * ruined, a legitimate outcome (an absurd cost such as a huge `costs.impactCoeff`, or a strategy
 * that loses everything) the metrics report as is. Undefined when it stayed above zero.
 */
export function ruinWarning(name: string, metrics: Readonly<{ ruined_at_ms: number | null; total_return: number; max_drawdown: number }>): string | undefined {
  if (metrics.ruined_at_ms === null) return undefined;
  const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
  return `${name}: equity reached zero or below at ${new Date(metrics.ruined_at_ms).toISOString()} (ruin; max drawdown ${pct(metrics.max_drawdown)}, total return ${pct(metrics.total_return)}); its Sharpe, Sortino and volatility stop there and its exposure counts the periods before it`;
}

/**
 * What sizes the strategy's positions: `strategy.positionSize` in base units, quote currency under
 * `sizing: quote`, or a fraction of the equity under `sizing: equity`.
 */
export type PositionSizing = Readonly<{ positionSize: number; sizing: 'base' | 'quote' | 'equity' }>;

/** The least share of the capital the positions must take for the run's returns to say anything. */
export const NEGLIGIBLE_CAPITAL_SHARE = 0.01;

/**
 * The capital does not fit the positions: `strategy.positionSize` sizes them (not the capital),
 * while the returns are on the capital and buy and hold invests all of it. Positions of all the
 * assets together over the capital (`--capital 0.01`: a loss of a few units "ruined" it), or under
 * {@link NEGLIGIBLE_CAPITAL_SHARE} of it (`--capital 1e15`: a return of 0), make the figures and the
 * comparison meaningless. `firstCloses`: each symbol's first close in the window (a `base` size is
 * valued there). Undefined when the positions take 1 % to 100 % of the capital. Under `sizing:
 * equity` the positions follow the capital: warned of only when the fractions summed over the
 * assets exceed 1 (`equityFractionWarning`).
 */
export function capitalWarning(capital: number, s: PositionSizing, firstCloses: Readonly<Record<string, number>>): string | undefined {
  const symbols = Object.keys(firstCloses);
  // Sized on the equity, the positions follow the capital: only fractions summing over 1 can misfit it.
  if (s.sizing === 'equity') return equityFractionWarning(s, symbols);
  if (symbols.length === 0 || !(capital > 0)) return undefined;
  const total = symbols.reduce((sum, sym) => sum + (s.sizing === 'quote' ? s.positionSize : s.positionSize * (firstCloses[sym] as number)), 0);
  const share = total / capital;
  if (share <= 1 && share >= NEGLIGIBLE_CAPITAL_SHARE) return undefined;
  const n = (x: number): string => x.toLocaleString('en-US', { maximumSignificantDigits: 6 });
  const assets = `${symbols.length} asset${symbols.length === 1 ? '' : 's'}`;
  const size =
    s.sizing === 'quote'
      ? `strategy.positionSize is ${n(s.positionSize)} in quote currency per asset (sizing: quote), ${n(total)} for ${assets}`
      : `strategy.positionSize is ${n(s.positionSize)} base units per asset (sizing: base), about ${n(total)} for ${assets} at the window's first closes`;
  const fix = `give --capital (or \`capital:\` in the spec) near ${n(total)}, set strategy.positionSize in a --config file near ${n(capital / symbols.length)} (sizing: quote; the capital over the assets), or size on the equity (sizing: equity, positionSize a fraction of it per asset, at most ${n(1 / symbols.length)})`;
  return share > 1
    ? `capital ${n(capital)} cannot carry the positions: ${size}, ${n(share)}× the capital; the returns are on the capital, so they (a loss of a few units can ruin it) and the comparison with buy and hold, which invests the capital, mean nothing: ${fix}`
    : `capital ${n(capital)} is hardly used: ${size}, ${(100 * share).toPrecision(2)} % of the capital; the returns are on the capital, so they read as about 0 and the comparison with buy and hold, which invests the capital, means nothing: ${fix}`;
}

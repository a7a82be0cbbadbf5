import type { Config } from '../config/schema.js';
import { almgrenChrissPolicy } from '../models/execution/almgren-chriss-policy.js';
import type { ExecutionPolicy } from '../models/execution/execution-policy.js';
import { immediatePolicy } from '../models/execution/immediate-policy.js';
import { twapPolicy } from '../models/execution/twap-policy.js';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';

/** What the config decides of the execution core: its policies and its bar. */
export type ExecutionSettings = Readonly<{
  policy: ExecutionPolicy;
  /** How a parent to flat is worked (`execution.flattenWith`). */
  flattenPolicy: ExecutionPolicy;
  /** The strategy's bar, ms: what the features' `ewma_vol` is measured over. */
  barMs: number;
  /** Least time between two closes of one asset while flattening. */
  flattenEveryMs: number;
  minQtyFraction: number;
  /** How long a quoted spread stands for a new parent's context: the paper venue's `quoteMaxAgeMs`, so execution assumes the spread the venue charges. */
  quoteMaxAgeMs: number;
  /** A hole in an asset's data (the core's `maxHoleMs`): half a bar, so a missing bar of the strategy's timeframe is one, as the paper venue counts it. */
  maxHoleMs: number;
}>;

/** The configured execution policy. */
export function policyOf(cfg: Config): ExecutionPolicy {
  const e = cfg.execution;
  switch (e.policy) {
    case 'immediate':
      return immediatePolicy({ crossBps: e.crossBps });
    case 'twap':
      return twapPolicy({ slices: e.slices, limitOffsetBps: e.limitOffsetBps });
    case 'almgren-chriss':
      return almgrenChrissPolicy({ slices: e.slices, riskAversion: e.riskAversion, temporaryImpact: e.temporaryImpact, limitOffsetBps: e.limitOffsetBps });
  }
}

/**
 * The execution core's settings from the config. A breached account wants out now, so by default
 * (`flattenWith: immediate`) a close is one marketable child, re-priced every `flattenTtlMs`.
 */
export function executionSettings(cfg: Config): ExecutionSettings {
  const e = cfg.execution;
  const barMs = TIMEFRAME_MS[cfg.strategy.timeframe];
  const policy = policyOf(cfg);
  // An immediate close works `flattenTtlMs` from when it reaches the venue (a close decided on a
  // bar: the bar's close, so a bars-only backtest still meets it at the next bar), and what it
  // left is closed again, re-priced, as soon as it has expired; the policy's closes are a bar apart.
  const immediate = e.flattenWith === 'immediate';
  return {
    policy,
    flattenPolicy: immediate ? immediatePolicy({ crossBps: e.crossBps, ttlMs: e.flattenTtlMs }) : policy,
    barMs,
    flattenEveryMs: immediate ? e.flattenTtlMs : barMs,
    minQtyFraction: e.minQtyFraction,
    quoteMaxAgeMs: cfg.paperVenue.quoteMaxAgeMs,
    // After a hole, children that fell due in it are re-planned over the rest of the horizon (or the parent lapses), not sent at once.
    maxHoleMs: barMs / 2,
  };
}

/**
 * How long the children `policy` plans for a parent over `horizonMs` live (the shortest), ms: a
 * parent of the policy itself is planned, so the figure is the one the execution core will use
 * (TWAP and Almgren–Chriss: a slice of the horizon, one bar at most slices per bar; immediate: its ttlMs).
 */
export function childTtlMs(policy: ExecutionPolicy, horizonMs: number, barMs: number): number {
  const plan = policy.schedule({ id: 'ttl-probe', side: 'buy', qty: 1, arrivalPrice: 1, startTs: 0, horizonMs }, { spreadBps: null, volatility: null, barMs, volume: null });
  return Math.min(...plan.map((c) => c.ttlMs));
}

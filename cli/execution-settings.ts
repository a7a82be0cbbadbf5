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
  /** The strategy's bar, ms: what the features' `ewma_vol` is measured over, and a flatten's retry spacing. */
  barMs: number;
  minQtyFraction: number;
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
 * (`flattenWith: immediate`) a close is one marketable child that lives one strategy bar.
 */
export function executionSettings(cfg: Config): ExecutionSettings {
  const barMs = TIMEFRAME_MS[cfg.strategy.timeframe];
  const policy = policyOf(cfg);
  const flattenPolicy = cfg.execution.flattenWith === 'immediate' ? immediatePolicy({ crossBps: cfg.execution.crossBps, ttlMs: barMs }) : policy;
  return { policy, flattenPolicy, barMs, minQtyFraction: cfg.execution.minQtyFraction };
}

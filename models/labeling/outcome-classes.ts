import type { ClassThresholds } from './label-spec.js';

export const OUTCOME_CLASSES = ['excellent', 'good', 'neutral', 'poor', 'bad'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

/**
 * The five-class outcome of a return net of costs (bps): `≥ excellentBps` excellent,
 * `≥ goodBps` good, `> poorBps` neutral, `> badBps` poor, otherwise bad.
 */
export function outcomeClass(netReturnBps: number, t: ClassThresholds): OutcomeClass {
  if (netReturnBps >= t.excellentBps) return 'excellent';
  if (netReturnBps >= t.goodBps) return 'good';
  if (netReturnBps > t.poorBps) return 'neutral';
  if (netReturnBps > t.badBps) return 'poor';
  return 'bad';
}

/** Direction-signed log return in bps, less the round-trip cost. */
export const netReturnBps = (directionalLogReturn: number, costBps: number): number => directionalLogReturn * 10_000 - costBps;

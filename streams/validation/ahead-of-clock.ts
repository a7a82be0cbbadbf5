import { RefusalReason } from '../messages/dlq-entry.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

/** Whose clock a bound is measured on, and the setting that holds it (named in the refusal). */
export type ClockBound = Readonly<{ maxAheadMs: number; clock: string; setting?: string }>;

/**
 * The refusal of a message (market data, a consumer's fill) stamped at `ts`, more than
 * `bound.maxAheadMs` after `now` (a live clock), or undefined when it is not: a venue's or a
 * publisher's clock error, or a typo in the year. SCHEMA, at the gateway's edge and in the engine.
 *
 * @example aheadOfClock(msg.ts, clock.now(), { maxAheadMs: 60_000, clock: "the engine's clock", setting: 'validation.maxAheadMs' })
 */
export function aheadOfClock(ts: number, now: number, bound: ClockBound): Refusal | undefined {
  const ahead = ts - now;
  if (!(ahead > bound.maxAheadMs)) return undefined;
  const limit = `at most ${bound.maxAheadMs} ms${bound.setting !== undefined ? `, ${bound.setting}` : ''}`;
  return refuse(RefusalReason.SCHEMA, `ts ${ts} (${new Date(ts).toISOString()}) is ${ahead} ms ahead of ${bound.clock} (${limit}): a venue or clock error`);
}

/** The engine's bound (`validation.maxAheadMs`): asset actors and the external-fill consumer of a live engine. */
export const engineClockBound = (maxAheadMs: number): ClockBound => ({ maxAheadMs, clock: "the engine's clock", setting: 'validation.maxAheadMs' });

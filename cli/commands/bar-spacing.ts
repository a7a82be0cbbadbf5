import { TIMEFRAME_MS, TIMEFRAMES } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';

/** Bars read from the head of a file to measure its spacing: enough to step over a few gaps. */
export const SPACING_SAMPLE = 50;

/**
 * The least step between the open times of the first {@link SPACING_SAMPLE} bars of a file's
 * messages: its timeframe, since gaps only make steps longer. Undefined with fewer than two bars,
 * or when the file holds something other than bars (trades, quotes).
 */
export async function leastBarStep(messages: AsyncIterable<Readonly<{ type: string; ts: number }>>): Promise<number | undefined> {
  let prev: number | undefined;
  let least: number | undefined;
  let n = 0;
  for await (const m of messages) {
    if (m.type !== 'md.bar') return undefined;
    if (prev !== undefined && m.ts > prev) least = least === undefined ? m.ts - prev : Math.min(least, m.ts - prev);
    prev = m.ts;
    if (++n >= SPACING_SAMPLE) break;
  }
  return least;
}

/** How far apart bars `step` ms apart are, as a timeframe when one is that long (`actual`), else in minutes; undefined when they are `tf` bars. */
export function spacingMismatch(step: number | undefined, tf: Timeframe): Readonly<{ apart: string; actual: Timeframe | undefined }> | undefined {
  if (step === undefined || step === TIMEFRAME_MS[tf]) return undefined;
  const actual = TIMEFRAMES.find((t) => TIMEFRAME_MS[t] === step);
  return { apart: actual ?? `${step / 60_000} minutes`, actual };
}

import type { Clock } from '../../state/clock.js';
import type { TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Label } from '../../streams/messages/label.js';

/** How often the wait for a label's sample looks again (on the given clock). */
const POLL_MS = 50;

/**
 * The training samples of `labels` (decision-time feature vectors), by sample id. The labeling
 * actor publishes a batch's labels before it commits their samples, so a sample may not be stored
 * yet: this looks again every 50 ms of `clock` until every one is found or `waitMs` have passed,
 * and returns what it found (a label whose sample never came is the caller's to count).
 */
export async function samplesOfLabels(
  store: Pick<TrainingSampleStore, 'samples'>,
  a: Readonly<{ strategy: string; labels: readonly Label[]; clock: Clock; waitMs: number }>,
): Promise<Map<string, TrainingSample>> {
  const out = new Map<string, TrainingSample>();
  if (a.labels.length === 0) return out;
  const wanted = new Set(a.labels.map((l) => l.subject.id));
  const deadline = a.clock.now() + a.waitMs;
  for (;;) {
    // One range query per venue and symbol over the decision times still missing.
    const ranges = new Map<string, { venue: string; symbol: string; from: number; to: number }>();
    for (const l of a.labels) {
      if (out.has(l.subject.id)) continue;
      const k = `${l.venue}|${l.symbol}`;
      const r = ranges.get(k);
      if (r === undefined) ranges.set(k, { venue: l.venue, symbol: l.symbol, from: l.decisionTs, to: l.decisionTs + 1 });
      else [r.from, r.to] = [Math.min(r.from, l.decisionTs), Math.max(r.to, l.decisionTs + 1)];
    }
    for (const r of ranges.values()) for (const s of await store.samples({ strategy: a.strategy, ...r })) if (wanted.has(s.id)) out.set(s.id, s);
    if (out.size === wanted.size || a.clock.now() >= deadline) return out;
    await new Promise<void>((resolve) => a.clock.setTimeout(resolve, POLL_MS));
  }
}

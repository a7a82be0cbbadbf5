import type { SimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { StreamAdmin } from '../../streams/bus.js';
import type { Engine } from '../engine.js';

/** How far the retraining actor's clock moves when it waits on a timer and nothing else is left to do. */
const NUDGE_MS = 50;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Waits until the engine's learning loop has handled everything the replay has given it so far:
 * the decision path has decided every bar, the labeling actor has consumed and acknowledged every
 * prediction, order and bar (and so published every label now due), the retraining actor has
 * consumed every label and finished what they started (scoring, a fit, a shadow verdict, a
 * promotion or rollback), and the strategy serves the registry's production model.
 *
 * Called before each new bar time of an event-time replay, it makes the loop deterministic: a
 * model the retraining actor promotes after the labels of bar T is served from the first bar after
 * T, whatever the fit's wall-clock time. The retraining actor waits for a label's sample (the
 * labeling actor publishes a batch's labels before it commits their samples) on `loopClock`, its
 * own simulated clock; when only that wait is left, this moves `loopClock` on by 50 ms at a time.
 *
 * Returns the served model, `name@version`.
 */
export async function settleLearningLoop(engine: Engine, bus: StreamAdmin, loopClock: SimulatedClock, servedRef: string): Promise<string> {
  const decisions = engine.decisions;
  const labeling = engine.labeling;
  const retraining = engine.retraining;
  if (decisions === undefined || labeling === undefined || retraining === undefined) throw new Error('the learning loop needs the decision path, the labeling actor and the retraining actor');
  const busy = async (consumers: readonly Readonly<{ stream: string; durable: string }>[]): Promise<boolean> => {
    for (const c of consumers) {
      const s = await bus.consumerInfo(c.stream, c.durable);
      if (s !== undefined && s.pending + s.ackPending > 0) return true;
    }
    return false;
  };
  for (;;) {
    await decisions.sequencer.flush();
    const labelingBusy = await busy(labeling.consumers);
    const retrainingBusy = await busy(retraining.consumers);
    if (!labelingBusy && !retrainingBusy) {
      await retraining.idle();
      if (!(await busy(labeling.consumers)) && !(await busy(retraining.consumers))) break;
      continue;
    }
    if (!labelingBusy && loopClock.nextDue() !== undefined) loopClock.advanceBy(NUDGE_MS);
    await nextTurn();
  }
  const m = await decisions.swapTo(servedRef);
  return `${m.name}@${m.version}`;
}

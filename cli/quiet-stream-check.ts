import type { DecisionPath } from '../actors/decision-path.js';
import type { Clock, TimerHandle } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { StreamAdmin } from '../streams/bus.js';

/**
 * How often, while an operator's change stored before a restart waits for an asset's events, the
 * engine reads that asset's market-data consumer (engine clock): a change whose point cannot come
 * back (the stream rebuilt or purged, and quiet) is in force within about this much of the start.
 */
export const QUIET_STREAM_CHECK_MS = 1_000;

/**
 * After a restart, while the decision path has an operator's change pending that waits for an
 * asset's events (`DecisionPath.awaitedAssets`), reads that asset's market-data consumer every
 * `intervalMs` (engine clock: how soon a quiet market hears of it, not event time; one
 * consumer-info request per awaited asset) and tells the decision path when it has nothing pending
 * or unacknowledged (`DecisionPath.caughtUp`): everything the stream holds of it is decided, and
 * the events up to the change's mark are not among them, so none will come. Before, such a change
 * (a halt, limits) stayed pending, and `ctl status` showed the state before it, until new market
 * data of that asset, an event of another past its mark, or a command came. Stops by itself once
 * nothing is awaited; a consumer not there yet, or a read that fails, is tried again.
 */
export function startQuietStreamCheck(
  o: Readonly<{
    path: Pick<DecisionPath, 'awaitedAssets' | 'caughtUp'>;
    bus: Pick<StreamAdmin, 'consumerInfo'>;
    stream: string;
    /** The durable consumer of an asset actor's key (the marks' asset); undefined for one not configured. */
    durableOf: (asset: string) => string | undefined;
    clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
    intervalMs: number;
    log: Logger;
  }>,
): Readonly<{ stop(): void }> {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const check = async (): Promise<void> => {
    timer = undefined;
    for (const asset of o.path.awaitedAssets()) {
      const durable = o.durableOf(asset);
      if (durable === undefined || stopped) continue;
      try {
        const info = await o.bus.consumerInfo(o.stream, durable);
        if (info !== undefined && info.pending + info.ackPending === 0 && !stopped) await o.path.caughtUp(asset);
      } catch (e) {
        o.log.debug({ err: String(e), asset }, "quiet-stream check: cannot read the asset's market-data consumer; trying again");
      }
    }
    if (!stopped && o.path.awaitedAssets().length > 0) timer = o.clock.setTimeout(() => void check(), o.intervalMs);
  };
  if (o.path.awaitedAssets().length > 0) timer = o.clock.setTimeout(() => void check(), o.intervalMs);
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) o.clock.clearTimeout(timer);
    },
  };
}

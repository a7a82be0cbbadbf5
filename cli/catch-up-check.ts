import type { Clock, TimerHandle } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { StreamAdmin } from '../streams/bus.js';
import type { CatchUpWatch } from './catch-up-watch.js';

/** How many market-data messages the durables have pending or unacknowledged, or undefined when one could not be read. */
async function pendingMarketData(bus: Pick<StreamAdmin, 'consumerInfo'>, stream: string, durables: readonly string[]): Promise<number | undefined> {
  const infos = await Promise.all(durables.map((d) => bus.consumerInfo(stream, d)));
  let pending = 0;
  for (const info of infos) {
    if (info === undefined) return undefined; // not created yet (an actor starting): unknown, not drained
    pending += info.pending + info.ackPending;
  }
  return pending;
}

/**
 * While the watch says the engine is catching up, reads the asset actors' market-data consumers
 * every `intervalMs` (engine clock; one consumer-info request per asset, and none while not
 * catching up) and tells the watch when none has anything pending or unacknowledged: the backlog
 * is decided, whether or not new data follows. A read that fails leaves the state as it is.
 */
export function startCatchUpCheck(
  o: Readonly<{ watch: CatchUpWatch; bus: Pick<StreamAdmin, 'consumerInfo'>; stream: string; durables: readonly string[]; clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>; intervalMs: number; log: Logger }>,
): Readonly<{ stop(): void }> {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const check = async (): Promise<void> => {
    timer = undefined;
    if (o.watch.status().catchingUp) {
      const since = o.watch.moves();
      try {
        if ((await pendingMarketData(o.bus, o.stream, o.durables)) === 0) o.watch.drained(since);
      } catch (e) {
        o.log.debug({ err: String(e) }, 'catch-up check: cannot read the market-data consumers; trying again');
      }
    }
    if (!stopped) timer = o.clock.setTimeout(() => void check(), o.intervalMs);
  };
  timer = o.clock.setTimeout(() => void check(), o.intervalMs);
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) o.clock.clearTimeout(timer);
    },
  };
}

import { durableFor } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { encode } from '../../streams/codec.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * Publishes the 1h bars of `symbols` in [from, to) as live data arrives (an event time at a time)
 * and waits until the engine has taken them all, so that a stop right after drains them: it has
 * counted as many messages in (`messagesIn`) as were published. A restarted engine counts what it
 * is handed again (a rebuild's replay, a redelivery) too: restarted with Redis empty, the 48 bars
 * replayed made up the count at once, and the stop could come before the actor was handed the
 * last bar (left unacknowledged for the next start: no prediction of it in that run). So where it
 * counted more than was published, it also waits until each asset actor's durable has nothing
 * pending (on the memory bus: nothing not yet handed to the actor; on NATS: not yet delivered to
 * the process). An exact count returns at once, as before (restart-operator-state's commands are
 * timed by it). `keep`: the bars published (default all; a hole in a symbol's data leaves some out).
 */
export async function feedLiveBars(engine: Engine, bus: Bus, cfg: Config, symbols: readonly string[], from: number, to: number, keep: (b: Bar) => boolean = () => true): Promise<void> {
  const files = findBarFiles(testDataDir(), { symbols: [...symbols], timeframe: '1h' });
  const subjects = subjectsFor(cfg.prefix);
  const before = engine.counters.messagesIn;
  let published = 0;
  let ts = -1;
  for await (const b of mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from, to })))) {
    if (!keep(b)) continue;
    if (b.ts !== ts) await new Promise((r) => setTimeout(r, 1));
    ts = b.ts;
    await bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id });
    published++;
  }
  const md = streamName(cfg, 'MD');
  const durables = symbols.map((symbol) => durableFor({ venue: cfg.venue, symbol }));
  const deadline = performance.now() + 60_000;
  /** Messages pending per asset durable (undefined while an actor is still starting, or has deleted its durable to rebuild). */
  const pending = (): Promise<number[]> => Promise.all(durables.map(async (d) => (await bus.consumerInfo(md, d))?.pending ?? Number.POSITIVE_INFINITY));
  for (;;) {
    const seen = engine.counters.messagesIn - before;
    if (seen === published) return;
    const left = seen > published ? await pending() : undefined;
    if (left?.every((n) => n === 0) === true) return;
    if (performance.now() > deadline) throw new Error(`engine saw ${seen} of ${published}${left === undefined ? '' : `; pending per asset ${durables.map((d, i) => `${d} ${left[i]}`).join(', ')}`}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { encode } from '../../streams/codec.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * Publishes the 1h bars of `symbols` in [from, to) as live data arrives (an event time at a time)
 * and waits until the engine has taken them all. `keep`: the bars published (default all; a hole
 * in a symbol's data leaves some out).
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
  const deadline = performance.now() + 60_000;
  while (engine.counters.messagesIn - before < published) {
    if (performance.now() > deadline) throw new Error(`engine saw ${engine.counters.messagesIn - before} of ${published}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

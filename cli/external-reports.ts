import type { Config } from '../config/schema.js';
import type { Clock } from '../state/clock.js';
import type { EngineCounters } from '../state/counters.js';
import { countRefusal } from '../state/counters.js';
import type { Logger } from '../state/logger.js';
import type { Bus, Consumption, Delivery } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { streamName } from '../streams/provision.js';
import type { Subjects } from '../streams/subjects.js';
import { aheadOfClock, engineClockBound } from '../streams/validation/ahead-of-clock.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import type { IsKnownAsset } from '../streams/validation/known-assets.js';
import { knownAssets } from '../streams/validation/known-assets.js';
import type { Refusal } from '../streams/validation/refusal.js';

export type ExternalReportDeps = Readonly<{ bus: Bus; subjects: Subjects; clock: Clock; counters?: EngineCounters }>;

/** One kind of report live trading consumers send the engine (the paper venue off): a fill, an expiry. */
export type ExternalReport<T extends Readonly<{ ts: number }>> = Readonly<{
  /** How the logs name it: `fill refused`, `expiry consumer ended`. */
  what: string;
  durable: string;
  filterSubject: string;
  /** The report of a delivery, or why it is refused (not JSON, not v1, not the asset of its subject, of no configured asset). */
  decode: (subject: string, data: Uint8Array, subjects: Subjects, isKnown: IsKnownAsset) => Readonly<{ ok: true; report: T }> | Refusal;
  /** Hands it to the decision path, which refuses one not of an order risk approved, as approved. */
  apply: (report: T) => Promise<Refusal | undefined>;
}>;

/**
 * A durable consumer on SIGNALS of one kind of external report, feeding the decision path. A report
 * is refused in turn by `decode`, for a stamp more than `validation.maxAheadMs` after the engine's
 * clock (the wall clock here: reports come from outside only when the engine runs live), then by
 * `apply`; a refused one is counted, logged and sent to `sx.dlq.decisions` with its reason, and the
 * consumer goes on with the next.
 */
export function consumeExternal<T extends Readonly<{ ts: number }>>(deps: ExternalReportDeps, cfg: Config, kind: ExternalReport<T>, log: Logger): Consumption {
  const refuse = (d: Delivery, refusal: Refusal): Promise<unknown> => {
    log.warn({ reason: refusal.reason, detail: refusal.detail, subject: d.subject }, `${kind.what} refused`);
    if (deps.counters !== undefined) countRefusal(deps.counters, refusal.reason);
    const entry = toDlqEntry({ source: 'decisions', subject: d.subject, data: d.data, refusal, ts: deps.clock.now(), streamSeq: d.streamSeq });
    return deps.bus.publish(deps.subjects.dlq('decisions'), encode(entry), { msgId: entry.id });
  };
  const isKnown = knownAssets(cfg.assets);
  const aheadBound = engineClockBound(cfg.validation.maxAheadMs);
  const c = deps.bus.consume(
    { stream: streamName(cfg, 'SIGNALS'), durable: kind.durable, filterSubject: kind.filterSubject, batchSize: cfg.consumer.batchSize, ackWaitMs: cfg.consumer.ackWaitMs },
    async (batch) => {
      for (const d of batch) {
        // Refused once, here: a report no subject can carry would fail every retry (and hold back
        // the ones behind it), and one on another asset's subject would be booked to the wrong asset.
        const r = kind.decode(d.subject, d.data, deps.subjects, isKnown);
        const ahead = r.ok ? aheadOfClock(r.report.ts, deps.clock.now(), aheadBound) : undefined;
        // Then against its order (UNKNOWN_ORDER, ORDER_MISMATCH), in the decision path: between releases.
        const refused = !r.ok ? r : (ahead ?? (await kind.apply(r.report)));
        if (refused !== undefined) await refuse(d, refused);
      }
    },
  );
  c.done.catch((e: unknown) => log.error({ err: String(e) }, `${kind.what} consumer ended`));
  return c;
}

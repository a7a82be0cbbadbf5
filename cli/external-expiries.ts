import type { DecisionPath } from '../actors/decision-path.js';
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
import { decodeExpiry } from '../streams/validation/decode-expiry.js';
import { knownAssets } from '../streams/validation/known-assets.js';
import type { Refusal } from '../streams/validation/refusal.js';
import { expiriesDurable } from './external-durables.js';

export type ExternalExpiryDeps = Readonly<{ bus: Bus; subjects: Subjects; clock: Clock; counters?: EngineCounters }>;

/**
 * A durable consumer of `sx.exec.expired.>` feeding the decision path, beside the external fills'
 * one (the paper venue off: live trading consumers report what their exchange cancelled or
 * expired). Refused expiries (`decodeExpiry`: not JSON, not a v1 expiry, not the asset of its
 * subject, of no configured asset; stamped more than `validation.maxAheadMs` after the engine's
 * clock; the decision path: of no order risk approved, not as approved, or of one filled in full)
 * are counted and go to `sx.dlq.decisions`, and the consumer goes on with the next.
 */
export function consumeExternalExpiries(deps: ExternalExpiryDeps, cfg: Config, path: Pick<DecisionPath, 'onExternalExpiry'>, log: Logger): Consumption {
  const refuseExpiry = (d: Delivery, refusal: Refusal): Promise<unknown> => {
    log.warn({ reason: refusal.reason, detail: refusal.detail, subject: d.subject }, 'expiry refused');
    if (deps.counters !== undefined) countRefusal(deps.counters, refusal.reason);
    const entry = toDlqEntry({ source: 'decisions', subject: d.subject, data: d.data, refusal, ts: deps.clock.now(), streamSeq: d.streamSeq });
    return deps.bus.publish(deps.subjects.dlq('decisions'), encode(entry), { msgId: entry.id });
  };
  const isKnown = knownAssets(cfg.assets);
  const aheadBound = engineClockBound(cfg.validation.maxAheadMs);
  const c = deps.bus.consume(
    { stream: streamName(cfg, 'SIGNALS'), durable: expiriesDurable(cfg), filterSubject: deps.subjects.allExpired(), batchSize: cfg.consumer.batchSize, ackWaitMs: cfg.consumer.ackWaitMs },
    async (batch) => {
      for (const d of batch) {
        const r = decodeExpiry(d.subject, d.data, deps.subjects, isKnown);
        // Stamped in the future, its time would retire the order (and forget older ones) ahead of the book.
        const ahead = r.ok ? aheadOfClock(r.expiry.ts, deps.clock.now(), aheadBound) : undefined;
        const refused = !r.ok ? r : (ahead ?? (await path.onExternalExpiry(r.expiry)));
        if (refused !== undefined) await refuseExpiry(d, refused);
      }
    },
  );
  c.done.catch((e: unknown) => log.error({ err: String(e) }, 'expiry consumer ended'));
  return c;
}

import type { DecisionPath } from '../actors/decision-path.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../state/logger.js';
import type { Consumption } from '../streams/bus.js';
import { decodeExpiry } from '../streams/validation/decode-expiry.js';
import { expiriesDurable } from './external-durables.js';
import { consumeExternal } from './external-reports.js';
import type { ExternalReportDeps } from './external-reports.js';

/**
 * A durable consumer of `sx.exec.expired.>` feeding the decision path, beside the external fills'
 * one (the paper venue off: live trading consumers report what their exchange cancelled or
 * expired). Refused expiries (`decodeExpiry`: over `validation.maxReportBytes`, not JSON, not a v1 expiry, not the asset of its
 * subject, of no configured asset; stamped more than `validation.maxAheadMs` after the engine's
 * clock; the decision path: of no order risk approved, not as approved, or of one filled in full)
 * are counted and go to `sx.dlq.decisions`, and the consumer goes on with the next. Stamped in the
 * future, its time would retire the order (and forget older ones) ahead of the book.
 */
export function consumeExternalExpiries(deps: ExternalReportDeps, cfg: Config, path: Pick<DecisionPath, 'onExternalExpiry'>, log: Logger): Consumption {
  return consumeExternal(deps, cfg, {
    what: 'expiry',
    durable: expiriesDurable(cfg),
    filterSubject: deps.subjects.allExpired(),
    decode: (subject, data, subjects, isKnown) => {
      const r = decodeExpiry(subject, data, subjects, isKnown, cfg.validation.maxReportBytes);
      return r.ok ? { ok: true, report: r.expiry } : r;
    },
    apply: (e) => path.onExternalExpiry(e),
  }, log);
}

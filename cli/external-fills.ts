import type { DecisionPath } from '../actors/decision-path.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../state/logger.js';
import type { Consumption } from '../streams/bus.js';
import { decodeFill } from '../streams/validation/decode-fill.js';
import { fillsDurable } from './external-durables.js';
import { consumeExternal } from './external-reports.js';
import type { ExternalReportDeps } from './external-reports.js';

/**
 * A durable consumer of `sx.exec.fill.>` feeding the decision path; refused fills (`decodeFill`:
 * over `validation.maxReportBytes`, not JSON, not a v1 fill, not the asset of the subject they came on, or of no configured asset;
 * stamped more than `validation.maxAheadMs` after the engine's clock, which is the wall clock
 * here: fills come from outside only when the engine runs live; the decision path: not of an
 * order risk approved, as approved) are counted and go to
 * `sx.dlq.decisions`, and the consumer goes on with the next. Stamped in the future (a clock
 * error, a year mistyped), a fill booked would roll the risk book's day to that date, and daily
 * loss would not reset until then.
 */
export function consumeExternalFills(deps: ExternalReportDeps, cfg: Config, path: Pick<DecisionPath, 'onExternalFill'>, log: Logger): Consumption {
  return consumeExternal(deps, cfg, {
    what: 'fill',
    durable: fillsDurable(cfg),
    filterSubject: deps.subjects.allFills(),
    decode: (subject, data, subjects, isKnown) => {
      const r = decodeFill(subject, data, subjects, isKnown, cfg.validation.maxReportBytes);
      return r.ok ? { ok: true, report: r.fill } : r;
    },
    apply: (f) => path.onExternalFill(f),
  }, log);
}

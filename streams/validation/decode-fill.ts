import { RefusalReason } from '../messages/dlq-entry.js';
import { FillSchema } from '../messages/fill.js';
import type { Fill } from '../messages/fill.js';
import type { IsKnownAsset } from './known-assets.js';
import type { Subjects } from '../subjects.js';
import { unroutableAsset } from '../subjects.js';
import type { Refusal } from './refusal.js';
import { refuse, schemaIssues } from './refusal.js';
import { DEFAULT_MAX_REPORT_BYTES, oversizeReport } from './report-size.js';

export type AcceptedFill = Readonly<{ ok: true; fill: Fill }>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one fill reported by a live trading consumer on `sx.exec.fill.<venue>.<sym>`,
 * without throwing. Checks, in order: its size (OVERSIZE, over `maxBytes`: `validation.maxReportBytes`), UTF-8 and JSON (MALFORMED_JSON), the v1 schema (SCHEMA, with
 * the paths and problems), a venue or symbol no subject can carry (SCHEMA: every publish of its
 * outputs would fail), then agreement with the subject (SUBJECT_MISMATCH), as market data is
 * checked (`decode-market-data.ts`): a fill is applied to the asset its payload names, so one on
 * another asset's subject is refused rather than booked where its subject does not say; and last
 * an asset the engine does not trade (UNKNOWN_SYMBOL, as market data): no approved order is ever
 * for one, and booked it would open a position no price marks and no order can close. The fill
 * subject carries no strategy, so the strategy is not compared.
 *
 * The subject is compared with the one the subject builder makes from the payload — what
 * `publishFill` sends it on — rather than parsed back: a symbol token does not always read back
 * to one symbol (`A-B/C` and `A/B-C` are both `A-B-C`).
 *
 * @example
 * const r = decodeFill(d.subject, d.data, subjects, knownAssets(cfg.assets));
 * if (!r.ok) dlq(r.reason, r.detail); else await path.onExternalFill(r.fill);
 */
export function decodeFill(subject: string, data: Uint8Array, subjects: Subjects, isKnown: IsKnownAsset, maxBytes = DEFAULT_MAX_REPORT_BYTES): AcceptedFill | Refusal {
  const oversize = oversizeReport('fill', data, maxBytes);
  if (oversize !== undefined) return oversize;
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(data));
  } catch (e) {
    return refuse(RefusalReason.MALFORMED_JSON, e instanceof Error ? e.message : String(e));
  }
  const f = FillSchema.safeParse(raw);
  if (!f.success) return refuse(RefusalReason.SCHEMA, schemaIssues(f.error.issues));
  const { venue, symbol } = f.data;
  const unroutable = unroutableAsset(subjects, venue, symbol);
  if (unroutable !== undefined) return refuse(RefusalReason.SCHEMA, unroutable);
  const expected = subjects.fill(venue, symbol);
  if (subject !== expected) return refuse(RefusalReason.SUBJECT_MISMATCH, `fill of ${venue} ${symbol} does not belong on ${subject} (its subject is ${expected})`);
  if (!isKnown(venue, symbol)) return refuse(RefusalReason.UNKNOWN_SYMBOL, `${venue} ${symbol} is not a configured asset: no order of the engine is for it`);
  return { ok: true, fill: f.data };
}

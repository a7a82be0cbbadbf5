import { RefusalReason } from '../messages/dlq-entry.js';
import { ExpirySchema } from '../messages/expiry.js';
import type { Expiry } from '../messages/expiry.js';
import type { IsKnownAsset } from './known-assets.js';
import type { Subjects } from '../subjects.js';
import { unroutableAsset } from '../subjects.js';
import type { Refusal } from './refusal.js';
import { refuse, schemaIssues } from './refusal.js';
import { DEFAULT_MAX_REPORT_BYTES, oversizeReport } from './report-size.js';

export type AcceptedExpiry = Readonly<{ ok: true; expiry: Expiry }>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one expiry reported by a live trading consumer on
 * `sx.exec.expired.<venue>.<sym>`, without throwing, as `decodeFill` checks a fill: its size (OVERSIZE), UTF-8 and JSON
 * (MALFORMED_JSON), the v1 schema (SCHEMA), a venue or symbol no subject can carry (SCHEMA), the
 * subject its payload belongs on (SUBJECT_MISMATCH), an asset the engine does not trade
 * (UNKNOWN_SYMBOL). Whether it names an order risk approved is the decision path's to check.
 *
 * @example
 * const r = decodeExpiry(d.subject, d.data, subjects, knownAssets(cfg.assets));
 * if (!r.ok) dlq(r.reason, r.detail); else await path.onExternalExpiry(r.expiry);
 */
export function decodeExpiry(subject: string, data: Uint8Array, subjects: Subjects, isKnown: IsKnownAsset, maxBytes = DEFAULT_MAX_REPORT_BYTES): AcceptedExpiry | Refusal {
  const oversize = oversizeReport('expiry', data, maxBytes);
  if (oversize !== undefined) return oversize;
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(data));
  } catch (e) {
    return refuse(RefusalReason.MALFORMED_JSON, e instanceof Error ? e.message : String(e));
  }
  const p = ExpirySchema.safeParse(raw);
  if (!p.success) return refuse(RefusalReason.SCHEMA, schemaIssues(p.error.issues));
  const { venue, symbol } = p.data;
  const unroutable = unroutableAsset(subjects, venue, symbol);
  if (unroutable !== undefined) return refuse(RefusalReason.SCHEMA, unroutable);
  const expected = subjects.expired(venue, symbol);
  if (subject !== expected) return refuse(RefusalReason.SUBJECT_MISMATCH, `expiry of ${venue} ${symbol} does not belong on ${subject} (its subject is ${expected})`);
  if (!isKnown(venue, symbol)) return refuse(RefusalReason.UNKNOWN_SYMBOL, `${venue} ${symbol} is not a configured asset: no order of the engine is for it`);
  return { ok: true, expiry: p.data };
}

import { RefusalReason } from '../messages/dlq-entry.js';
import { FeedStatusSchema } from '../messages/feed-status.js';
import type { FeedStatus } from '../messages/feed-status.js';
import type { Subjects } from '../subjects.js';
import { unroutableAsset } from '../subjects.js';
import type { Refusal } from './refusal.js';
import { refuse, schemaIssues } from './refusal.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one feed status of `sextant gateway` (`sx.mdstatus.<venue>.<sym>`), without throwing:
 * UTF-8 and JSON (MALFORMED_JSON), the v1 schema (SCHEMA), a venue or symbol no subject can carry
 * (SCHEMA), the subject it belongs on (SUBJECT_MISMATCH).
 */
export function decodeFeedStatus(subject: string, data: Uint8Array, subjects: Subjects): Readonly<{ ok: true; status: FeedStatus }> | Refusal {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(data));
  } catch (e) {
    return refuse(RefusalReason.MALFORMED_JSON, e instanceof Error ? e.message : String(e));
  }
  const p = FeedStatusSchema.safeParse(raw);
  if (!p.success) return refuse(RefusalReason.SCHEMA, schemaIssues(p.error.issues));
  const { venue, symbol } = p.data;
  const unroutable = unroutableAsset(subjects, venue, symbol);
  if (unroutable !== undefined) return refuse(RefusalReason.SCHEMA, unroutable);
  const expected = subjects.feedStatus(venue, symbol);
  if (subject !== expected) return refuse(RefusalReason.SUBJECT_MISMATCH, `status of ${venue} ${symbol} does not belong on ${subject} (its subject is ${expected})`);
  return { ok: true, status: p.data };
}

import { RefusalReason } from '../messages/dlq-entry.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

/**
 * Default bound on the bytes of a fill or expiry a live trading consumer reports
 * (`validation.maxReportBytes`): a v1 report is under 2 KB with ids of usual length (an expiry's
 * `text` of 500 characters included), so 8 KB refuses only padding or junk, as
 * `validation.maxPayloadBytes` bounds market data.
 */
export const DEFAULT_MAX_REPORT_BYTES = 8192;
/** The least `validation.maxReportBytes` may be: a fill with ids of a few hundred characters must pass. */
export const MIN_MAX_REPORT_BYTES = 1024;

/**
 * OVERSIZE for a report of more than `maxBytes` bytes, before it is parsed: a desk's bug that sends
 * 20 KB (a whole order book pasted in a field, padding) is refused naming the bound, not parsed and
 * stored in the risk book's dead letters whole.
 */
export function oversizeReport(what: string, data: Uint8Array, maxBytes: number): Refusal | undefined {
  if (data.byteLength <= maxBytes) return undefined;
  return refuse(RefusalReason.OVERSIZE, `${what} of ${data.byteLength} bytes is over validation.maxReportBytes (${maxBytes})`);
}

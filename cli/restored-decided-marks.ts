import { z } from 'zod';
import type { DecidedMark } from '../actors/decided-marks.js';
import type { Logger } from '../state/logger.js';

const DecidedMarksSchema = z.array(z.tuple([z.string().min(1), z.number().int().nonnegative(), z.number().finite()]));

/**
 * How far each asset's market data was decided when the restored risk book was written (stored in
 * the same row, `decided`: cli/risk-persist.ts). The decision path does not decide again a
 * redelivered event at or below its asset's mark (actors/decided-marks.ts). Empty when none is
 * stored (a first start, a book stored before the marks were): every event is then decided, as
 * before, and a suggestion decided again gets its earlier decision back from risk (a replay). A
 * part that is not valid is logged and left out the same way.
 */
export function restoredDecidedMarks(storedBook: unknown, log: Logger): readonly DecidedMark[] {
  if (typeof storedBook !== 'object' || storedBook === null || !('decided' in storedBook)) return [];
  const parsed = DecidedMarksSchema.safeParse(storedBook.decided);
  if (parsed.success) return parsed.data;
  log.error(
    { issues: parsed.error.issues.slice(0, 3) },
    "the decided marks stored with the risk book are not valid: every redelivered event is decided again (a suggestion risk saw gets its earlier decision back)",
  );
  return [];
}

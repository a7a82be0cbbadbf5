import { z } from 'zod';
import type { DecidedMark } from '../actors/decided-marks.js';
import type { LimitsChange, TradingChange } from '../actors/operator-changes.js';
import { after, storedLimitsOf } from '../actors/operator-changes.js';
import { TradingSnapshotSchema } from '../models/risk/risk-core.js';
import { RiskLimitsSchema } from '../models/risk/risk-limits.js';
import type { Logger } from '../state/logger.js';
import type { StoredRisk } from '../state/risk-store.js';
import { tradingSeq } from '../state/risk-store.js';

const MarksSchema = z.array(z.tuple([z.string().min(1), z.number().int().nonnegative(), z.number().finite()]));
const TradingChangesSchema = z.array(z.object({ at: MarksSchema, trading: TradingSnapshotSchema }));
const LimitsChangesSchema = z.array(z.object({ at: MarksSchema, limits: RiskLimitsSchema }));

export type RestoredOperatorState = Readonly<{
  /** What the risk actor starts from: the trading state and limits stored with the book (the row's own when the book has none). */
  stored: Partial<StoredRisk>;
  /** The marks stored with that book (none when not valid: `restoredDecidedMarks` says so). */
  decided: readonly DecidedMark[];
  /** The operator's changes made after that book was taken, to apply where they took effect (`createDueChanges`). */
  pending: Readonly<{ trading: readonly TradingChange[]; limits: readonly LimitsChange[] }>;
}>;

const field = (o: unknown, key: string): unknown => (typeof o === 'object' && o !== null && key in o ? (o as Record<string, unknown>)[key] : undefined);

/**
 * The trading state and limits the decision path decides from after a restart: those taken with
 * the restored book, in its row (cli/risk-persist.ts), and the operator's changes stored after it
 * (the trading and limits rows' `pending`), each applied just before the first redelivered event
 * the first run decided after it. A book stored before it held them (or holding ones not valid,
 * logged) starts from the trading and limits rows, as before, with nothing pending.
 */
export function restoredOperatorState(stored: Partial<StoredRisk>, log: Logger): RestoredOperatorState {
  const marks = MarksSchema.safeParse(field(stored.book, 'decided') ?? []);
  const decided = marks.success ? marks.data : [];
  const rowLimits = storedLimitsOf(stored.limits);
  const none = { trading: [], limits: [] };
  const bookTrading = TradingSnapshotSchema.safeParse(field(stored.book, 'trading'));
  const bookLimits = RiskLimitsSchema.safeParse(field(stored.book, 'limits'));
  if (!bookTrading.success || !bookLimits.success) {
    if (field(stored.book, 'trading') !== undefined || field(stored.book, 'limits') !== undefined) {
      log.error({}, 'the trading state or limits stored with the risk book are not valid: starting from the trading and limits rows (an operator change after that book applies to every redelivered event)');
    }
    return { stored: { ...stored, ...(rowLimits === undefined ? {} : { limits: rowLimits }) }, decided, pending: none };
  }
  const trading = TradingChangesSchema.safeParse(field(stored.trading, 'pending') ?? []);
  const limits = LimitsChangesSchema.safeParse(field(stored.limits, 'pending') ?? []);
  if (!trading.success || !limits.success) log.error({}, "the operator's pending changes stored in the trading or limits row are not valid: they are left out");
  const seq = bookTrading.data.seq;
  const pendingTrading = trading.success ? trading.data.filter((c) => c.trading.seq > seq) : [];
  // A trading row newer than the book and than every change stored with it (written without them):
  // it is in force from the start, as before, rather than lost (a halt).
  const rowSeq = tradingSeq(stored.trading);
  const newest = pendingTrading.reduce((m, c) => Math.max(m, c.trading.seq), seq);
  const rowAhead = stored.trading !== undefined && rowSeq > newest;
  if (rowAhead) log.warn({ seq: rowSeq, bookSeq: seq }, 'the stored trading state is newer than the risk book and than the changes stored with it: in force from the first redelivered event');
  return {
    decided,
    // The book's limits as stored (checked above), not as parsed: parsing fills a limit the row has
    // not with its default, and the risk actor could no longer say which ones it lacks (an upgrade).
    stored: { ...stored, trading: rowAhead ? stored.trading : bookTrading.data, limits: field(stored.book, 'limits') },
    pending: {
      trading: rowAhead ? [] : pendingTrading,
      limits: limits.success ? limits.data.filter((c) => !after(decided, c.at)) : [],
    },
  };
}

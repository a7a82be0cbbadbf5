import { z } from 'zod';

/**
 * The least retention the config takes, in days: longer than the refresh windows of the continuous
 * aggregates (`CONTINUOUS_AGGREGATES`, 3 days at most), which would otherwise empty the buckets
 * whose rows retention dropped.
 */
export const MIN_RETENTION_DAYS = 7;

const days = z.number().int().positive();
const retention = days.min(MIN_RETENTION_DAYS, `at least ${MIN_RETENTION_DAYS} days (longer than the continuous aggregates' refresh windows)`);

/**
 * Compression and retention of the market-history hypertables, used only when TimescaleDB is
 * installed; every key absent (the default) adds no policy.
 */
export const TimescalePoliciesSchema = z
  .object({
    /** Compress chunks of bars, trades, quotes and features once they are older than this (segmented by venue and symbol). */
    compressAfterDays: days.optional(),
    /** Drop chunks older than this, per table. */
    retentionDays: z.object({ bars: retention.optional(), trades: retention.optional(), quotes: retention.optional(), features: retention.optional() }).strict().default({}),
  })
  .strict();

export type TimescalePolicies = z.infer<typeof TimescalePoliciesSchema>;

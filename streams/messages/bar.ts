import { z } from 'zod';
import { epochMs, sourceId, nonNegative, positive, symbol, token } from './common.js';

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export const TimeframeSchema = z.enum(TIMEFRAMES);
export type Timeframe = z.infer<typeof TimeframeSchema>;
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** A closed OHLCV bar, v1. `ts` is the bar's open time; volume is in the base asset. */
export const BarSchema = z
  .object({
    type: z.literal('md.bar'),
    v: z.literal(1),
    id: sourceId,
    venue: token,
    symbol,
    tf: TimeframeSchema,
    open: positive,
    high: positive,
    low: positive,
    close: positive,
    volume: nonNegative,
    ts: epochMs,
    recvTs: epochMs.optional(),
  })
  .readonly()
  .refine((b) => b.high >= b.low && b.high >= Math.max(b.open, b.close) && b.low <= Math.min(b.open, b.close), {
    message: 'high/low must bound open and close',
  });
export type Bar = z.infer<typeof BarSchema>;

/** Deterministic id: one bar per venue, symbol, timeframe and open time. */
export const barId = (venue: string, sym: string, tf: string, ts: number): string => `b:${venue}:${sym}:${tf}:${ts}`;

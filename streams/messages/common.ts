import { z } from 'zod';

/** A finite number: NaN and ±Infinity are refused at the edge. */
export const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
export const positive = finite.refine((n) => n > 0, { message: 'must be > 0' });
export const nonNegative = finite.refine((n) => n >= 0, { message: 'must be >= 0' });
/** Event time, milliseconds since the Unix epoch (UTC). */
export const epochMs = z.number().int().nonnegative();
export const token = z.string().min(1).max(64);
export const symbol = z.string().min(1).max(64);
export const messageId = z.string().min(1).max(200);

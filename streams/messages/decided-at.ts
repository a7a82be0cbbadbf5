import type { z } from 'zod';

/**
 * Refuses a suggestion or order decided before its own time: `decidedAt` is when the newest market
 * data it was decided with was known, and `ts` the open time of the bar (or the tick) it was decided
 * on, so `decidedAt < ts` says it used data from before the bar began to decide on that bar — a
 * producer's bug or look-ahead, never a real decision. Absent `decidedAt` (messages from before it
 * existed) passes.
 */
export function decidedNotBeforeTs(m: Readonly<{ ts: number; decidedAt?: number | undefined }>, ctx: z.RefinementCtx): void {
  if (m.decidedAt !== undefined && m.decidedAt < m.ts) {
    ctx.addIssue({ code: 'custom', path: ['decidedAt'], message: `${m.decidedAt} is before ts ${m.ts}: decided before its own time (look-ahead or a producer's bug)` });
  }
}

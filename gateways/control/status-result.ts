import { z } from 'zod';

/**
 * The parts of `ctl status`'s result (cli/engine-control.ts) that `sextant ctl` reads itself,
 * besides printing the whole result: `catchUp`, the engine's catch-up watch (cli/catch-up-watch.ts
 * `CatchUpStatus`). `catchingUp`: deciding events far behind its clock; `behindMs`: how far its
 * newest decided event was behind the clock (null before one); `asOf`: that event's time (null
 * before one); `replay`: a replay of a past window on the live clock (`sextant demo`), not a
 * backlog; left out by an engine older than it (read as not). Unknown keys are let through, for
 * an engine newer than this client. The dashboard's page reads the feed's `pnl.catchUp` with it
 * too (gateways/dashboard/src/topics.ts): this module is bundled for the browser, so zod only.
 */
export const StatusCatchUpSchema = z.object({
  catchingUp: z.boolean(),
  behindMs: z.number().nullable(),
  asOf: z.number().nullable(),
  replay: z.boolean().optional(),
});
export type StatusCatchUp = z.infer<typeof StatusCatchUpSchema>;

/** A status result: any object; `catchUp` null or left out where the engine keeps no watch (or predates it). */
export const StatusResultSchema = z.object({ catchUp: StatusCatchUpSchema.nullable().optional() });
export type StatusResult = z.infer<typeof StatusResultSchema>;

import { z } from 'zod';
import { epochMs, messageId, symbol, token } from './common.js';

/** Where a market-data feed of `sextant gateway` stands (gateways/market-data/feed-status.ts). */
export const FEED_STATUS_STATES = ['starting', 'live', 'retrying', 'held', 'stale', 'failed', 'restarting', 'stopped'] as const;
export const FeedStatusStateSchema = z.enum(FEED_STATUS_STATES);

/**
 * One feed's status, v1 (`sx.mdstatus.<venue>.<sym>`, core NATS, not in the MD stream): published by
 * `sextant gateway` on each change and republished every `marketData.statusEveryMs`, for the engine
 * (`ctl status` feeds, /metrics, the detail of a STALE_MARKET_DATA / NO_MARKET_DATA reject). Never
 * an input of a decision.
 */
export const FeedStatusSchema = z
  .object({
    type: z.literal('md.status'),
    v: z.literal(1),
    id: messageId,
    /** The gateway's clock when this was published (ms). */
    ts: epochMs,
    venue: token,
    symbol,
    /** `bar 1m`, `trade`, `quote`. */
    stream: z.string().min(1).max(32),
    state: FeedStatusStateSchema,
    code: z.string().min(1).max(32).optional().meta({ description: "The failure's code (NETWORK, RATE_LIMITED, STALE, INTERNAL…) while not live." }),
    reason: z.string().max(1000).optional().meta({ description: "The failure's message while not live; a stale feed's silence." }),
    retryAt: epochMs.optional().meta({ description: 'When the venue is next asked (retrying, held, restarting) or the stale feed restarted (stale), ms.' }),
    restarts: z.number().int().nonnegative(),
    /** The gateway that publishes it (its NATS connection name). */
    publisher: z.string().min(1).max(128),
  })
  .readonly();
export type FeedStatus = z.infer<typeof FeedStatusSchema>;

/** Deterministic: the same feed, state and time give the same id (a republish has a later `ts`). */
export const feedStatusId = (s: Pick<FeedStatus, 'venue' | 'symbol' | 'stream' | 'state' | 'ts'>): string => `mds:${s.venue}:${s.symbol}:${s.stream.replace(' ', '')}:${s.state}:${s.ts}`;

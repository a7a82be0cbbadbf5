import { z } from 'zod';

/**
 * The websocket feed's wire protocol as the dashboard sees it (`/ws?token=…`). The client asks
 * for topics; the server answers with the latest value per key (`snapshot`) and then every change
 * (`delta`), each numbered by a per-topic `seq`. Everything the server sends is validated here
 * before the page touches it.
 */
export const TOPICS = ['md', 'features', 'predictions', 'orders', 'risk', 'pnl', 'actors', 'models', 'feeds'] as const;
export const TopicSchema = z.enum(TOPICS);
export type Topic = z.infer<typeof TopicSchema>;

const seq = z.number().int().nonnegative();

export const ServerMessageSchema = z.discriminatedUnion('type', [
  /**
   * `snapshot`: how many `snapshot` frames of the topic follow (0: the snapshot is empty); a later
   * `subscribed` of the topic starts a new count. Older servers leave it out.
   */
  z.object({ type: z.literal('subscribed'), topic: TopicSchema, symbols: z.array(z.string()).nullish(), snapshot: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal('unsubscribed'), topic: TopicSchema, symbols: z.array(z.string()).nullish() }),
  /**
   * `key`: the symbol (on `md`, `features`, `predictions`, `orders`), account, actor or model;
   * `venue`, on the symbol topics, the venue of the message (one symbol's key is the same on every
   * venue). Older servers leave it out.
   */
  z.object({ type: z.literal('snapshot'), topic: TopicSchema, key: z.string(), venue: z.string().optional(), seq, data: z.unknown() }),
  z.object({ type: z.literal('delta'), topic: TopicSchema, key: z.string(), venue: z.string().optional(), seq, data: z.unknown() }),
  z.object({ type: z.literal('heartbeat'), ts: z.number() }),
  /** The gateway's link to NATS: `down` = no data flows, all values stale; `up` + `gap` = back after an outage, messages may be missing. */
  z.object({ type: z.literal('status'), upstream: z.enum(['up', 'down']), since: z.number(), gap: z.boolean().optional() }),
  z.object({ type: z.literal('pong'), ts: z.number().optional() }),
  /** An error refusing a request names it (`op`, `topic`; older servers do not): a subscribe whose `symbols` can never match (`?symbols=`). */
  z.object({ type: z.literal('error'), code: z.union([z.string(), z.number()]), reason: z.string(), op: z.string().optional(), topic: z.string().optional() }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export type ClientOp =
  | Readonly<{ op: 'subscribe'; topic: Topic; symbols?: readonly string[] }>
  | Readonly<{ op: 'unsubscribe'; topic: Topic; symbols?: readonly string[] }>
  | Readonly<{ op: 'ping' }>;

/** Bigger frames are refused unread: a dashboard has no use for them and a bad one must not stall the page. */
export const MAX_FRAME_CHARS = 1_000_000;

export type Decoded = Readonly<{ ok: true; message: ServerMessage }> | Readonly<{ ok: false; reason: string }>;

/** Parses and validates one frame; never throws. */
export function decodeServerMessage(frame: unknown): Decoded {
  if (typeof frame !== 'string') return { ok: false, reason: 'frame is not text' };
  if (frame.length > MAX_FRAME_CHARS) return { ok: false, reason: `frame of ${frame.length} chars exceeds ${MAX_FRAME_CHARS}` };
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  const parsed = ServerMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`).join('; ') };
  return { ok: true, message: parsed.data };
}

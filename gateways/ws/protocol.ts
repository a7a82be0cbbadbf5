import { z } from 'zod';

/**
 * The websocket feed protocol, v1 (`ws://host/ws?token=…`). JSON text frames both ways.
 *
 * client → server: `{op:"subscribe", topic, symbols?}`, `{op:"unsubscribe", topic, symbols?}`,
 * `{op:"ping"}`. No `symbols` means every symbol of the topic; a symbol follows it on every venue,
 * `venue:symbol` (`kraken:BTC/USDT`, `kraken:BTC-USDT`) on that venue only (a venue has no '/':
 * `BTC/USDT:USDT` is a symbol). An empty `symbols` array (on subscribe or unsubscribe), a symbol not
 * in the engine's form (`BTC/USDT` or its token `BTC-USDT`; not `btc/usdt`), a venue that is no
 * subject token or that no configured asset is on (`krakn:BTC/USDT`, the hub's `venues`), a symbol no
 * configured asset has, or none on that venue (`ETH/USDT`, `BTC/USTD`, `kraken:SOL/USDT`: the hub's
 * `assets`; the reason suggests the closest), or `symbols` on a topic without symbols (`risk`, `pnl`, `actors`, `models`), is
 * refused (`bad_request`) rather than following nothing, or everything.
 *
 * server → client: `subscribed` (with `snapshot`: how many `snapshot` frames of the topic follow it,
 * 0 for an empty snapshot; once that many have arrived the snapshot is complete; a later
 * `subscribed` of the topic starts a new count), `unsubscribed`, `snapshot` (on subscribe, the latest message of
 * each slot of the topic: each kind of message per key and venue; for `md`, the last `mdSnapshotBars`
 * (default 200) bars of each venue, symbol and timeframe, oldest first, and the newest trade and quote,
 * so a chart opened after the bars went by draws them; for `orders`, the last
 * `ordersSnapshotDepth` (default 100) orders and rejects per strategy, venue and symbol and fills
 * per venue and symbol, so a client that resubscribes is sent those it missed; for `models`, what each alias
 * was last moved to and the latest event of each other kind per model, less the aliases a `rejected`
 * event cleared (those of its model naming its version, as the registry's reject does): no frame
 * says a slot went, the `rejected` delta is the word on it for a client that follows the topic; only what the hub relayed
 * since it started, and for `models` the events stored before it, read at start: `models-seed.ts`; for
 * `orders` the approved orders stored in SIGNALS before it that the venue may still work: `orders-seed.ts`),
 * `delta` (every later message; a `snapshot` or `delta` of `md`, `features`, `predictions` or
 * `orders` has `key` its symbol and `venue` its venue — v1 frames gained `venue`, and `key` stayed
 * the symbol the client subscribed with, so a client keying its state per asset keys it by
 * (`venue`, `key`): by `key` alone, BTC/USDT of binance and of kraken are one), `heartbeat`, `pong`, `error` (`{type:"error", code, reason, op?, topic?,
 * symbols?}`: an error answering a subscribe or unsubscribe names its `op` and `topic`, and its
 * `symbols` as sent when it had them, so a client with several requests in flight knows which was
 * refused; a frame that is not a valid request gets `code` and `reason` only). `seq` counts
 * the messages of one topic (+1 each, assigned by the hub); a snapshot carries the seq of the
 * message it reflects, so a client drops deltas with seq ≤ the newest snapshot seq it holds and
 * has neither gap nor duplicate. A seq names one message for the hub's lifetime: a subscribe sent
 * for a topic already followed (more symbols, every symbol) is answered with the snapshot again,
 * which repeats what the client already holds (a frame still queued for a slow client is sent once,
 * as the snapshot frame), so a client also drops a snapshot frame whose seq it has applied for its
 * key (the dashboard does: `feed-client.ts`). A client whose socket backs up (`maxBufferedBytes`) is sent, of
 * `md`, `features`, `predictions`, `risk`, `pnl`, `actors` and `models`, only the newest message
 * of each slot (the slot as the snapshot keeps it: each kind of message per key and venue, for
 * `models` per model and event kind or alias): a delta marked `conflated: true` replaced older ones
 * of its slot that the client never received, and a snapshot frame it was not sent yet is replaced
 * by a snapshot frame of the newer message (sent after the deltas queued before it; of the `md`
 * snapshot's bars of a slot only the newest is, the earlier ones are each sent), so the count
 * in `subscribed` holds. `orders` (approved orders, rejects, fills: events, see `EVENT_TOPICS`) is
 * never conflated: each is queued and sent in order, and a client with more than `maxPendingFrames`
 * frames queued (a subscribe's snapshot frames not counted: the snapshot is bounded by what the hub
 * holds, and a long `orders` or `md` snapshot must not close a client that subscribes while backed up), or
 * behind without progress (no frame written, no byte taken by its socket) for `slowCloseMs`, is closed with 4008 "slow consumer" instead (what was
 * queued is not sent: the `orders` snapshot on resubscribe holds it, up to `ordersSnapshotDepth`
 * per slot, and every older approved order the venue may still work — no final fill, event time
 * before its `expiresAt` — so a dashboard that reconnects lists the orders its later fills name;
 * a client recognises what it already holds by `id`).
 *
 * `status` (`{type:"status", upstream:"up"|"down", since, gap?}`) says whether the gateway's
 * link to NATS is up; it is sent first on connect and again on every change (`since`: epoch ms
 * of the change). While `down`, no data flows (heartbeats still do) and everything the client
 * holds is stale. `up` with `gap: true` follows an outage: messages published while the link was
 * down were never relayed and `seq` does not show them, so values may be stale until their next
 * update and missed orders/fills are not in the feed. Orders, rejects, fills and predictions are
 * relayed once per `id` (within the last 10 000 of each kind): a restarted engine's republishes
 * are dropped. A fill the engine refused is not relayed, and one republished under its id,
 * corrected, is relayed once the engine books it (past SIGNALS' duplicate window).
 */
/** `feeds`: each market-data feed of `sextant gateway` as the engine sees it (`sextant run` on NATS; key `venue:symbol:stream`). */
export const TOPICS = ['md', 'features', 'predictions', 'orders', 'risk', 'pnl', 'actors', 'models', 'feeds'] as const;
export const TopicSchema = z.enum(TOPICS);
export type Topic = z.infer<typeof TopicSchema>;
/**
 * The topics whose messages are of one symbol: only these take `symbols`. The others (`risk`,
 * `pnl`, `actors`, `models`, `feeds`) are of the account, the engine, a model or the gateway's feeds, so a filter by symbol
 * would be told `subscribed` with its symbols and then sent everything: refused instead.
 */
export const SYMBOL_TOPICS: ReadonlySet<Topic> = new Set<Topic>(['md', 'features', 'predictions', 'orders']);

/**
 * The topics whose messages are events, not states: `orders` (approved orders, rejects, fills).
 * A newer fill does not stand for an older one (a client that missed it holds a wrong fill list and
 * position), so a slow client is never sent only the newest of these: each is queued (a delta
 * counted against `maxPendingFrames`, a snapshot frame not) and sent, or the client is closed with 4008 "slow consumer". The
 * other topics are states (the newest message of a slot says all), conflated for a slow client.
 */
export const EVENT_TOPICS: ReadonlySet<Topic> = new Set<Topic>(['orders']);

/** The symbols one subscribe message may name, and one session may follow by name on a topic. */
export const MAX_SYMBOLS_PER_TOPIC = 256;
const symbols = z.array(z.string().min(1).max(64)).max(MAX_SYMBOLS_PER_TOPIC).optional();

export const ClientMessageSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('subscribe'), topic: TopicSchema, symbols }).strict(),
  z.object({ op: z.literal('unsubscribe'), topic: TopicSchema, symbols }).strict(),
  z.object({ op: z.literal('ping') }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const ErrorCode = {
  BAD_REQUEST: 'bad_request',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Server → client messages (for clients and tests; the hub writes frames without re-validating). */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribed'), topic: TopicSchema, symbols: z.array(z.string()).nullable(), snapshot: z.number().int().nonnegative() }),
  z.object({ type: z.literal('unsubscribed'), topic: TopicSchema, symbols: z.array(z.string()).nullable() }),
  /** `venue`: on `md`, `features`, `predictions` and `orders`, the venue of the message (`key` is its symbol, the same on every venue). */
  z.object({ type: z.literal('snapshot'), topic: TopicSchema, key: z.string(), venue: z.string().optional(), seq: z.number().int().positive(), data: z.unknown() }),
  z.object({
    type: z.literal('delta'),
    topic: TopicSchema,
    key: z.string(),
    venue: z.string().optional(),
    seq: z.number().int().positive(),
    data: z.unknown(),
    conflated: z.boolean().optional(),
  }),
  z.object({ type: z.literal('heartbeat'), ts: z.number() }),
  z.object({ type: z.literal('status'), upstream: z.enum(['up', 'down']), since: z.number(), gap: z.literal(true).optional() }),
  z.object({ type: z.literal('pong'), ts: z.number() }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    reason: z.string(),
    /** The request refused (absent when the frame was not a valid request). */
    op: z.enum(['subscribe', 'unsubscribe']).optional(),
    topic: TopicSchema.optional(),
    /** The request's symbols as the client sent them, when it sent any. */
    symbols: z.array(z.string()).optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** Websocket close codes the feed uses. */
export const CloseCode = {
  /** Policy violation: too many messages ("rate limit"). */
  POLICY: 1008,
  /** Message too big (sent by `ws` itself when a frame exceeds `maxPayload`). */
  TOO_BIG: 1009,
  GOING_AWAY: 1001,
  /** The client did not keep up with its feed. */
  SLOW_CONSUMER: 4008,
} as const;

/** `{type:"error", code, reason}` as a frame. */
export const errorFrame = (code: string, reason: string): string => JSON.stringify({ type: 'error', code, reason });

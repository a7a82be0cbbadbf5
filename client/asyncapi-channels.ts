import type { z } from 'zod';
import { FeedStatusSchema } from '../streams/messages/feed-status.js';
import { CONTROL_VERBS, ControlArgsSchemas, ControlReplySchema, ControlRequestSchema } from '../gateways/control/control-messages.js';
import type { ControlVerb } from '../gateways/control/control-messages.js';
import { BarSchema } from '../streams/messages/bar.js';
import { DlqEntrySchema } from '../streams/messages/dlq-entry.js';
import { EngineIdentitySchema, EnginePresenceRequestSchema } from '../streams/messages/engine-presence.js';
import { FeatureVectorSchema } from '../streams/messages/feature-vector.js';
import { ExpirySchema } from '../streams/messages/expiry.js';
import { FillSchema } from '../streams/messages/fill.js';
import { LabelSchema } from '../streams/messages/label.js';
import { ModelEventSchema } from '../streams/messages/model-event.js';
import { OrderSchema } from '../streams/messages/order.js';
import { OutcomeSchema } from '../streams/messages/outcome.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import { QuoteSchema } from '../streams/messages/quote.js';
import { RejectSchema } from '../streams/messages/reject.js';
import { RiskStateSchema } from '../streams/messages/risk-state.js';
import { SuggestionSchema } from '../streams/messages/suggestion.js';
import { TradeSchema } from '../streams/messages/trade.js';
import type { Subjects } from '../streams/subjects.js';

/** Placeholder tokens the subject builder accepts; each becomes an AsyncAPI `{parameter}`. */
export const PLACEHOLDERS = { venue: 'XVENUEX', sym: 'XSYMX', strategy: 'XSTRATEGYX', tf: 'XTFX', name: 'XNAMEX', event: 'XEVENTX', source: 'XSOURCEX' } as const;
export type ParamName = keyof typeof PLACEHOLDERS;
const P = PLACEHOLDERS;

/**
 * `send`: Sextant publishes it; `receive`: Sextant consumes what others publish; `both`: Sextant
 * publishes it (its paper venue) and consumes what others publish on it (live trading consumers),
 * one operation each (`roles` says who and when); `reply`: request/reply served by Sextant.
 */
export type Direction = 'send' | 'receive' | 'both' | 'reply';

/** The requester's reply inbox of a request/reply channel (no address: NATS picks the inbox). */
export type ReplyChannel = Readonly<{ id: string; title: string; description: string }>;

const CTL_REPLY: ReplyChannel = { id: 'ctlReply', title: 'Control replies', description: "The requester's reply inbox (NATS request/reply): `{ ok: true, result }` or `{ ok: false, error: { code, message } }`." };
const PRESENCE_REPLY: ReplyChannel = { id: 'enginePresenceReply', title: 'Engine presence replies', description: "The requester's reply inbox: the identity of the engine that holds the namespace." };

export type ChannelSpec = Readonly<{
  id: string;
  /** Built with the engine's subject builder and placeholder tokens. */
  subject: string;
  title: string;
  description: string;
  /** JetStream stream capturing the subject (name prefixed by `streamNamePrefix`), or null for core NATS. */
  stream: 'MD' | 'SIGNALS' | 'OUTCOMES' | 'DLQ' | null;
  publisher: string;
  direction: Direction;
  /** `both` only: who sends on the subject and when Sextant does (`send`), who else does and when Sextant reads it (`receive`). */
  roles?: Readonly<{ send: string; receive: string }>;
  message: Readonly<{ name: string; schema: z.ZodType; io?: 'input' | 'output' }>;
  /** Request/reply only: the reply message, and the (address-less) channel of the requester's inbox it goes to. */
  reply?: Readonly<{ name: string; schema: z.ZodType; channel: ReplyChannel }>;
}>;

// Fills and expiries have two publishers: the engine's paper venue, and live trading consumers
// reporting their exchange's; the engine reads the consumers' only with its paper venue off.
const FILL_ROLES = {
  send: "The engine's paper venue (`paperVenue.enabled`, the default) publishes the fills it simulates.",
  receive: 'Live trading consumers publish their exchange\'s fills (`sextant/client`\'s `publishFill`); the engine books them with its paper venue off.',
} as const;
const EXPIRY_ROLES = {
  send: "The engine's paper venue (`paperVenue.enabled`, the default) publishes an order's expiry at its `expiresAt` (`ttl`) or at a hole in its data (`gap`).",
  receive: 'Live trading consumers publish their exchange\'s cancellations and expiries (`venue`; `sextant/client`\'s `publishExpiry`); the engine reads them with its paper venue off.',
} as const;

const ctlRequest = (verb: ControlVerb): z.ZodType => {
  const args = ControlArgsSchemas[verb];
  // `args` may be left out when the verb's arguments all have defaults.
  return ControlRequestSchema.extend({ args: args.safeParse({}).success ? args.optional() : args });
};

const pascal = (s: string): string => s.replace(/(^|[._-])([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());

/**
 * Every subject of DESIGN.md's table, from the subject builder and the zod schemas.
 * Schemas still missing from streams/messages: none (outcome and label landed with issue 5).
 */
export function channelSpecs(s: Subjects): ChannelSpec[] {
  const signal = (kind: 'prediction' | 'suggestion' | 'order' | 'reject' | 'outcome' | 'label'): string => s[kind](P.strategy, P.venue, P.sym);
  const specs: ChannelSpec[] = [
    { id: 'mdTrade', subject: s.trade(P.venue, P.sym), title: 'Trades', description: 'Trade ticks of one asset.', stream: 'MD', publisher: 'gateways, replay', direction: 'send', message: { name: 'Trade', schema: TradeSchema } },
    { id: 'mdQuote', subject: s.quote(P.venue, P.sym), title: 'Quotes', description: 'Best bid/ask of one asset.', stream: 'MD', publisher: 'gateways, replay', direction: 'send', message: { name: 'Quote', schema: QuoteSchema } },
    { id: 'mdBar', subject: s.bar(P.venue, P.sym, P.tf), title: 'Bars', description: 'Closed OHLCV bars of one asset; `ts` is the open time.', stream: 'MD', publisher: 'gateways, replay', direction: 'send', message: { name: 'Bar', schema: BarSchema } },
    { id: 'features', subject: s.features(P.venue, P.sym), title: 'Feature vectors', description: 'The newest feature vector of one asset after each batch (core NATS, at-most-once).', stream: null, publisher: 'asset actor', direction: 'send', message: { name: 'FeatureVector', schema: FeatureVectorSchema } },
    { id: 'prediction', subject: signal('prediction'), title: 'Predictions', description: 'Class probabilities, expected return with conformal intervals, attributions and position intent.', stream: 'SIGNALS', publisher: 'strategy actor', direction: 'send', message: { name: 'Prediction', schema: PredictionSchema } },
    { id: 'execSuggest', subject: signal('suggestion'), title: 'Suggested child orders', description: 'Child orders from the execution actor, before risk. Never actionable.', stream: 'SIGNALS', publisher: 'execution actor', direction: 'send', message: { name: 'Suggestion', schema: SuggestionSchema } },
    { id: 'execOrder', subject: signal('order'), title: 'Approved orders', description: 'The only actionable subject; only the risk actor publishes here. Ordered per asset, deduplicated by `id` (Nats-Msg-Id). `expiresAt` counts the time-to-live from when the order exists: for one decided on a bar (`ts` = the bar\'s open), from the bar\'s close, when it is published. The order works only while event time is before `expiresAt`: at `expiresAt` it is expired (the paper venue, execution and risk let it go there), so work it no longer. Event time is not the wall clock: an engine catching up on a backlog (after an outage the streams redeliver what it missed) publishes orders decided on data hours old, expired on arrival; `subscribeOrders` of `sextant/client` does not hand over an order whose `expiresAt` is at or before the consumer\'s clock (`expiryGraceMs` later), nor, with `minTimeLeftMs`, one with less time than that left, but reports it to `onExpired` and acknowledges it (`expired: \'deliver\'` hands over every order, for replay). A consumer of its own must compare `expiresAt` with its clock itself. `decidedAt` (optional: orders published before it have none) is when what the order was decided with was known: a bar decision\'s close, the tick or finer bar that released a later child (`ts` alone cannot tell a trade at 13:00 from the 13:00 hourly bar). `refPrice` (optional: orders published before it have none) is the mid the risk actor approved the order against (its price collar\'s): a market order\'s only price; a fill of a market order further from it, and from the latest mid the risk book holds when the fill comes, than `validation.marketFillBandBps` (default 1000 bps) is refused.', stream: 'SIGNALS', publisher: 'risk actor only', direction: 'send', message: { name: 'Order', schema: OrderSchema } },
    { id: 'execReject', subject: signal('reject'), title: 'Refused suggestions', description: 'Suggestions the risk actor refused, with every machine-readable reason.', stream: 'SIGNALS', publisher: 'risk actor', direction: 'send', message: { name: 'Reject', schema: RejectSchema } },
    { id: 'execFill', subject: s.fill(P.venue, P.sym), title: 'Fills', description: 'Fills of approved orders, reported by live trading consumers (or the paper venue). Publish with Nats-Msg-Id = `id`. The engine books them only with its paper venue off (`paperVenue.enabled: false`); with it on, only the paper venue\'s are read. A fill on another asset\'s subject (SUBJECT_MISMATCH), of an asset not in the engine\'s `assets` (UNKNOWN_SYMBOL), of no order its risk actor approved (UNKNOWN_ORDER) or not of its order as approved (ORDER_MISMATCH: venue, symbol, side, strategy, more than the order had left, or a price worse than its limit, a buy\'s above it or a sell\'s below it, by more than `validation.fillPriceToleranceBps` of it, default 5 bps: the detail names the price, the side, the limit and the tolerance; better than the limit is fine; or a market order\'s price further from the order\'s `refPrice`, either way, than `validation.marketFillBandBps` of it, default 1000 bps, and from the latest mid the risk book holds for the order\'s venue and symbol when the fill comes: near it is the market after a move, booked), stamped more than `validation.maxAheadMs` (a minute) after the engine\'s clock (SCHEMA), with a rebate (a negative `fee`) over 1 % of qty × price (SCHEMA: a sign or unit error), with a field v1 has not (SCHEMA, naming it: refused, not dropped; a new field is a new version), or of more than `validation.maxReportBytes` bytes (OVERSIZE, default 8192) goes to `sx.dlq.decisions` unbooked. A late fill of an expired order, up to what it had left, is booked.', stream: 'SIGNALS', publisher: 'live trading consumers, paper venue', direction: 'both', roles: FILL_ROLES, message: { name: 'Fill', schema: FillSchema } },
    { id: 'execExpired', subject: s.expired(P.venue, P.sym), title: 'Expiries', description: 'An approved order the venue works no more, quantity left: the paper venue at its `expiresAt` (reason `ttl`) or at a hole in its data (`gap`), or a live trading consumer whose exchange cancelled or expired it (`venue`; `sextant/client`\'s `publishExpiry`). `id` and Nats-Msg-Id are `e:<orderId>`: one per order. Publish the order\'s fills first. The engine reads a consumer\'s only with its paper venue off (`paperVenue.enabled: false`): the risk book stops counting the order in flight (position, exposure, reduce-only limits) at once rather than at its `expiresAt`, and execution stops working it. One on another asset\'s subject (SUBJECT_MISMATCH), of an asset not in the engine\'s `assets` (UNKNOWN_SYMBOL), of no order its risk actor approved (UNKNOWN_ORDER), of another venue, symbol or strategy than its order or of one filled in full (ORDER_MISMATCH), stamped more than `validation.maxAheadMs` after the engine\'s clock (SCHEMA), with a field v1 has not (SCHEMA, naming it: refused, not dropped), or of more than `validation.maxReportBytes` bytes (OVERSIZE) goes to `sx.dlq.decisions`. With none, the risk book keeps counting the order in flight for `risk.limits.unreportedExpiryGraceMs` (event time, default a minute) past its `expiresAt` (a fill may still come), then lets it go, counted in the decision stats\' `releasedAfterGrace` (a later fill is booked, but until it comes counts in no limit); the first of an order past its `expiresAt` is its outcome, late (the decision stats\' `expired`, out of `lapsed`), while the book keeps the order (a day of event time). One of an order released already (a second report) changes nothing, counted in the decision stats\' `expiriesIgnored`; one of an order whose `final` fill left the rest unfilled, leaving that much, changes nothing either, counted in `expiriesConfirming`.', stream: 'SIGNALS', publisher: 'live trading consumers, paper venue', direction: 'both', roles: EXPIRY_ROLES, message: { name: 'Expiry', schema: ExpirySchema } },
    { id: 'outcome', subject: signal('outcome'), title: 'Outcomes', description: 'Realised return / shortfall of a prediction or order once its horizon passed.', stream: 'OUTCOMES', publisher: 'labeling actor', direction: 'send', message: { name: 'Outcome', schema: OutcomeSchema } },
    { id: 'label', subject: signal('label'), title: 'Training labels', description: 'Triple-barrier label and outcome class of a prediction or order.', stream: 'OUTCOMES', publisher: 'labeling actor', direction: 'send', message: { name: 'Label', schema: LabelSchema } },
    { id: 'modelEvent', subject: s.model(P.name, P.event), title: 'Model registry events', description: 'registered, promoted, rolled_back, rejected, alias_removed.', stream: 'OUTCOMES', publisher: 'retraining actor, ctl', direction: 'send', message: { name: 'ModelEvent', schema: ModelEventSchema } },
    { id: 'feedStatus', subject: s.feedStatus(P.venue, P.sym), title: 'Market-data feed status', description: "One market-data feed of `sextant gateway` (core NATS; outside `md.>`, so the MD stream does not keep it): its state (starting, live, retrying, held, stale, failed, restarting, stopped), `code` and `reason` while not live, `retryAt`, `restarts`. Sent on each change and every feed again every `marketData.statusEveryMs` (10 s), stamped with the gateway's clock: a status older than 3 intervals says nothing (the engine shows it `unknown`, gateway silent). The engine shows them in `ctl status` (`feeds`), /metrics and the dashboard (the websocket feed's `feeds` topic) and names a feed down in the detail of a STALE_MARKET_DATA / NO_MARKET_DATA reject; never an input of a decision.", stream: null, publisher: 'sextant gateway', direction: 'send', message: { name: 'FeedStatus', schema: FeedStatusSchema } },
    { id: 'riskState', subject: s.riskState(), title: 'Trading state', description: 'ACTIVE / REDUCING / HALTED changes of the risk actor (core NATS).', stream: null, publisher: 'risk actor', direction: 'send', message: { name: 'RiskState', schema: RiskStateSchema } },
    { id: 'dlq', subject: s.dlq(P.source), title: 'Dead letters', description: 'Refused messages with their reason; `source` is the edge that refused them (asset, strategy, execution, risk, decisions, paper-venue, client, …).', stream: 'DLQ', publisher: 'any edge', direction: 'send', message: { name: 'DlqEntry', schema: DlqEntrySchema } },
  ];
  specs.push({
    id: 'enginePresence',
    subject: s.enginePresence(),
    title: 'Engine presence',
    description: 'Core NATS request/reply: a starting engine (`sextant run`, `sextant demo`) asks whether another already answers on its prefix, and is refused if one does; while it runs it answers here itself. Request `{}`; not versioned messages (no `type`, `v`, `id`).',
    stream: null,
    publisher: 'engines (`sextant run`, `sextant demo`)',
    direction: 'reply',
    message: { name: 'EnginePresenceRequest', schema: EnginePresenceRequestSchema, io: 'input' },
    reply: { name: 'EngineIdentity', schema: EngineIdentitySchema, channel: PRESENCE_REPLY },
  });
  for (const verb of CONTROL_VERBS) {
    specs.push({
      id: `ctl${pascal(verb)}`,
      subject: s.control(verb),
      title: `Control: ${verb}`,
      description: `Operator request \`${verb}\` (NATS request/reply). Validated, acted on and audited in PostgreSQL before the reply.`,
      stream: null,
      publisher: 'operators (`sextant ctl`)',
      direction: 'reply',
      message: { name: `Ctl${pascal(verb)}Request`, schema: ctlRequest(verb), io: 'input' },
      reply: { name: 'CtlReply', schema: ControlReplySchema, channel: CTL_REPLY },
    });
  }
  return specs;
}

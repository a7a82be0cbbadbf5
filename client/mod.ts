/**
 * `sextant/client`: what a live trading consumer needs to talk to a Sextant engine over NATS —
 * the public v1 message schemas and types, the subject builder, typed durable subscriptions to
 * orders and predictions, and fill and expiry reporting. Depends on @nats-io packages, zod and the schemas
 * only, never on engine internals.
 *
 * @example
 * import { connect } from '@nats-io/transport-node';
 * import { subscribeOrders, publishFill, publishExpiry, fillId } from 'sextant/client';
 * const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
 * // against deploy/nats/sextant.conf: connect({ servers, user: 'desk', pass, inboxPrefix: '_INBOX_desk' }), the only inboxes it may read
 * // deliver 'new': a new durable starts at the orders published from now on, not the stream's first
 * // an order already expired on this clock (an engine catching up on a backlog) goes to onExpired, not the loop
 * const orders = await subscribeOrders(nc, { durable: 'desk-1', strategy: 'alpha', deliver: 'new', onExpired: (o, lateMs) => console.warn('expired', o.id, lateMs) });
 * for await (const o of orders) {
 *   const exec = await broker.place(o); // idempotent on o.id
 *   await publishFill(nc, { type: 'exec.fill', v: 1, id: fillId(o.id, 0), orderId: o.id, … });
 *   // the exchange cancelled or expired the rest: the engine's risk book releases it at once (id e:<orderId> filled in)
 *   if (exec.cancelled) await publishExpiry(nc, { ts: exec.ts, orderId: o.id, strategy: o.strategy, venue: o.venue, symbol: o.symbol, filledQty: exec.filled, remainingQty: o.qty - exec.filled, reason: 'venue' });
 * }
 */
export { subjectsFor, symbolToken, tokenToSymbol, venueToken, SubjectError } from '../streams/subjects.js';
export type { Subjects } from '../streams/subjects.js';

export { BarSchema, TimeframeSchema, TIMEFRAMES, TIMEFRAME_MS, barId } from '../streams/messages/bar.js';
export type { Bar, Timeframe } from '../streams/messages/bar.js';
export { TradeSchema, tradeId } from '../streams/messages/trade.js';
export type { Trade } from '../streams/messages/trade.js';
export { QuoteSchema, quoteId } from '../streams/messages/quote.js';
export type { Quote } from '../streams/messages/quote.js';
export type { MarketData } from '../streams/messages/market-data.js';
export { FeatureVectorSchema, featureVectorId } from '../streams/messages/feature-vector.js';
export type { FeatureVector } from '../streams/messages/feature-vector.js';
export { PredictionSchema, PositionIntentSchema, predictionId } from '../streams/messages/prediction.js';
export type { Prediction, PositionIntent } from '../streams/messages/prediction.js';
export { SuggestionSchema, suggestionId } from '../streams/messages/suggestion.js';
export type { Suggestion } from '../streams/messages/suggestion.js';
export { OrderSchema, orderId } from '../streams/messages/order.js';
export type { Order } from '../streams/messages/order.js';
export { RejectSchema, rejectId } from '../streams/messages/reject.js';
export type { Reject } from '../streams/messages/reject.js';
export { RiskReason, RiskReasonSchema } from '../streams/messages/risk-reason.js';
export { FillSchema, fillId } from '../streams/messages/fill.js';
export type { Fill } from '../streams/messages/fill.js';
export { ExpiryReasonSchema, ExpirySchema, expiryId } from '../streams/messages/expiry.js';
export type { Expiry, ExpiryReason } from '../streams/messages/expiry.js';
export { OrderSideSchema, sideSign } from '../streams/messages/order-side.js';
export type { OrderSide } from '../streams/messages/order-side.js';
export { ModelEventSchema, ModelEventKindSchema } from '../streams/messages/model-event.js';
export type { ModelEvent, ModelEventKind } from '../streams/messages/model-event.js';
export { RiskStateSchema, TradingStateSchema } from '../streams/messages/risk-state.js';
export type { RiskState, TradingState } from '../streams/messages/risk-state.js';
export { OutcomeSchema, LabeledSubjectSchema, ShortfallSchema, BarrierSchema, OutcomeClassSchema, TripleBarrierLabelSchema, ModelRefSchema, outcomeId } from '../streams/messages/outcome.js';
export type { Outcome, LabeledSubject } from '../streams/messages/outcome.js';
export { LabelSchema, labelId } from '../streams/messages/label.js';
export type { Label } from '../streams/messages/label.js';
export { DlqEntrySchema, RefusalReason, RefusalReasonSchema } from '../streams/messages/dlq-entry.js';
export type { DlqEntry } from '../streams/messages/dlq-entry.js';

export type { Connection } from './connection.js';
export { ClientValidationError, DurableConflictError, InboxRefusedError, NoStreamError, SubscriptionInUseError } from './errors.js';
export { orderFilter, predictionFilter } from './filters.js';
export type { SignalFilter } from './filters.js';
export { subscribeOrders, subscribePredictions } from './signals.js';
export type { OrderSubscribeOptions, OrderSubscription, SignalSubscribeOptions } from './signals.js';
export type { ExpiredMeta, ExpiredReason, ExpiryOptions, SkipMeta, SkipReason } from './expiry.js';
export { openSubscription } from './subscription.js';
export type { DeliveryMeta, InvalidMessage, SubscribeOptions, TypedSubscription } from './subscription.js';
export { publishFill } from './publish-fill.js';
export type { PublishFillOptions } from './publish-fill.js';
export { publishExpiry } from './publish-expiry.js';
export type { ExpiryReport, PublishExpiryOptions } from './publish-expiry.js';
export { decodeWith } from './validate.js';
export type { Checked } from './validate.js';
export { CONTROL_VERBS, ControlArgsSchemas, ControlErrorCode, ControlReplySchema, ControlRequestSchema } from '../gateways/control/control-messages.js';
export type { ControlArgs, ControlReply, ControlRequest, ControlVerb } from '../gateways/control/control-messages.js';

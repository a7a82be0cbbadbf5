import type { EngineMetrics } from '../gateways/http/metrics.js';
import type { CorePublisher, DurablePublisher, PublishAck, PublishOptions, ValuePublisher } from '../streams/bus.js';
import { isRetryable } from '../streams/errors.js';
import type { Subjects } from '../streams/subjects.js';

/** Where the decision path's predictions and risk decisions are counted (`sextant_predictions_total`, `sextant_orders_total`). */
export type DecisionCounts = Pick<EngineMetrics, 'prediction' | 'order'>;

/** The publisher the decision path is handed (actors/decision-path.ts `DecisionPathDeps.bus`). */
export type DecisionBus = DurablePublisher & CorePublisher & Partial<ValuePublisher>;

/**
 * The decision path's publisher, counting each prediction, order and reject when its stream
 * stores it for the first time (the acknowledgement is not a duplicate). A restarted engine
 * decides the redelivered input again and publishes the same outputs again, with the same ids:
 * the streams keep one copy, and so do the counts (a count of what is seen on the bus counted
 * them again).
 *
 * A publish retried after a failure that may have stored it (`retryable`: no acknowledgement in
 * time, the connection lost) is counted when its retry's acknowledgement comes, duplicate or not:
 * the copy the stream holds may be the earlier try's.
 */
export function countStoredDecisions(bus: DecisionBus, subjects: Subjects, counts: DecisionCounts): DecisionBus {
  const predictions = `${subjects.prefix}.pred.`;
  const orders = `${subjects.prefix}.exec.order.`;
  const rejects = `${subjects.prefix}.exec.reject.`;
  /** Message ids whose last publish failed retryably: the stream may hold them already. */
  const uncertain = new Set<string>();
  const count = (subject: string): void => {
    if (subject.startsWith(predictions)) counts.prediction(subject.slice(predictions.length).split('.')[0] ?? '');
    else if (subject.startsWith(orders)) counts.order('approved');
    else if (subject.startsWith(rejects)) counts.order('rejected');
  };
  const stored = (subject: string, msgId: string | undefined, ack: PublishAck): PublishAck => {
    const retried = msgId !== undefined && uncertain.delete(msgId);
    if (!ack.duplicate || retried) count(subject);
    return ack;
  };
  const failed = (msgId: string | undefined, e: unknown): never => {
    if (msgId !== undefined && isRetryable(e)) uncertain.add(msgId);
    throw e;
  };
  const out: DecisionBus = {
    publish: (subject: string, data: Uint8Array, opts?: PublishOptions) =>
      bus.publish(subject, data, opts).then(
        (ack) => stored(subject, opts?.msgId, ack),
        (e: unknown) => failed(opts?.msgId, e),
      ),
    emit: (subject, data) => bus.emit(subject, data),
  };
  const { publishValue, publishValueNow } = bus;
  if (publishValue !== undefined) {
    out.publishValue = (subject, value, opts) =>
      publishValue.call(bus, subject, value, opts).then(
        (ack) => stored(subject, opts?.msgId, ack),
        (e: unknown) => failed(opts?.msgId, e),
      );
  }
  if (publishValueNow !== undefined) {
    out.publishValueNow = (subject, value, msgId) => {
      let ack: PublishAck;
      try {
        ack = publishValueNow.call(bus, subject, value, msgId);
      } catch (e) {
        return failed(msgId, e);
      }
      return stored(subject, msgId, ack);
    };
  }
  return out;
}

import type { CoreSubscriber, Subscription } from '../../streams/bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { Subjects } from '../../streams/subjects.js';
import type { EngineMetrics } from './metrics.js';

const dec = new TextDecoder();

/**
 * Dead-letter ids the metrics feed remembers: a batch is redelivered within the consumers' ack
 * wait (30 s by default), well inside this many refusals at any sane refusal rate.
 */
export const DLQ_IDS_KEPT = 10_000;

const parse = (data: Uint8Array): unknown => {
  try {
    return JSON.parse(dec.decode(data)) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * Feeds the metrics that can be read off the bus: messages in per subject, the trading state and
 * DLQ refusals. Core subscriptions see JetStream subjects too (a stream
 * stores what is published on core NATS). Control requests (`sx.ctl.…`) are not counted.
 *
 * Predictions and risk decisions are not counted here: a core subscription also sees every
 * publish the stream drops as a duplicate (a restarted engine publishes its redelivered decisions
 * again), so the engine counts them where their stream first stores them
 * (cli/stored-decision-counts.ts, `EngineOptions.counts`).
 *
 * Nor is the served model version: a registry event (`sx.model.…`) says where an alias moved, and
 * the engine may have refused that version (it does not fit it, or did not load) and kept its
 * model; `sextant_model_version` is read off the engine (`EngineMetrics.servedModel`).
 *
 * A dead letter is counted once per entry id (`sextant_refusals_total`): the id is derived from
 * the refused message (streams/validation/dlq.ts), and a batch redelivered after a crash refuses
 * it again and re-sends the same entry, which the DLQ stream drops as a duplicate but a core
 * subscription sees again (a risk actor's refusal re-sent once counted 2). The ids of the last
 * {@link DLQ_IDS_KEPT} entries are kept.
 *
 * Messages whose payload does not match its schema change nothing but the subject count.
 */
export function feedMetricsFromBus(bus: CoreSubscriber, subjects: Subjects, metrics: EngineMetrics): Subscription {
  const p = subjects.prefix;
  const ctl = `${p}.ctl.`;
  const counted = new Set<string>();
  return bus.subscribe(`${p}.>`, (subject, data) => {
    if (subject.startsWith(ctl)) return;
    metrics.messageIn(subject);
    const t = subject.split('.');
    switch (t[1]) {
      case 'risk': {
        const s = RiskStateSchema.safeParse(parse(data));
        if (s.success) metrics.riskState(s.data.state);
        return;
      }
      case 'dlq': {
        const d = DlqEntrySchema.safeParse(parse(data));
        if (!d.success || counted.has(d.data.id)) return;
        counted.add(d.data.id);
        // Oldest first: a Set iterates in insertion order.
        if (counted.size > DLQ_IDS_KEPT) counted.delete(counted.values().next().value ?? '');
        metrics.refusal(d.data.reason, d.data.source);
        return;
      }
      default:
        return;
    }
  });
}

import type { CoreSubscriber, Subscription } from '../../streams/bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { Subjects } from '../../streams/subjects.js';
import type { EngineMetrics } from './metrics.js';

const dec = new TextDecoder();

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
 * Messages whose payload does not match its schema change nothing but the subject count.
 */
export function feedMetricsFromBus(bus: CoreSubscriber, subjects: Subjects, metrics: EngineMetrics): Subscription {
  const p = subjects.prefix;
  const ctl = `${p}.ctl.`;
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
        if (d.success) metrics.refusal(d.data.reason, d.data.source);
        return;
      }
      default:
        return;
    }
  });
}

import type { CoreSubscriber, Subscription } from '../../streams/bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { Subjects } from '../../streams/subjects.js';
import type { EngineMetrics } from './metrics.js';

const dec = new TextDecoder();

/**
 * The most dead-letter ids the metrics feed holds at once, however many its window would keep: a
 * memory bound, reached only by more than about 2,000 refusals a second for the whole of the DLQ
 * stream's 2-minute duplicate window. Past it the oldest is forgotten early.
 */
export const DLQ_IDS_MAX = 250_000;

export type MetricsFeedOptions = Readonly<{
  /**
   * How long a dead letter's id is remembered after it was first seen: the DLQ stream's duplicate
   * window (`streams.DLQ.duplicateWindowMs`), within which the stream drops a re-send as a
   * duplicate. Default 120 000.
   */
  dlqDuplicateWindowMs?: number;
  /** The time now, in ms (default `Date.now`). */
  now?: () => number;
}>;

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
 * subscription sees again (a risk actor's refusal re-sent once counted 2). An id is remembered for
 * the DLQ stream's duplicate window from when it was first seen, as the stream remembers it: a
 * re-send within it is not counted (the stream dropped it), one after it is (the stream stored it
 * again). Remembering the last 10,000 ids instead counted a re-send twice once more than 10,000
 * other refusals came between the two sends (a feed whose every tick is refused, then a
 * redelivered batch 30 s later), though the stream still dropped it.
 *
 * Messages whose payload does not match its schema change nothing but the subject count.
 */
export function feedMetricsFromBus(bus: CoreSubscriber, subjects: Subjects, metrics: EngineMetrics, opts: MetricsFeedOptions = {}): Subscription {
  const p = subjects.prefix;
  const ctl = `${p}.ctl.`;
  const windowMs = opts.dlqDuplicateWindowMs ?? 120_000;
  const now = opts.now ?? Date.now;
  /** Dead-letter ids by when they were first seen, oldest first (a Map iterates in insertion order). */
  const counted = new Map<string, number>();
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
        if (!d.success) return;
        const at = now();
        for (const [id, first] of counted) {
          if (first + windowMs > at) break;
          counted.delete(id);
        }
        if (counted.has(d.data.id)) return;
        counted.set(d.data.id, at);
        if (counted.size > DLQ_IDS_MAX) counted.delete(counted.keys().next().value ?? '');
        metrics.refusal(d.data.reason, d.data.source);
        return;
      }
      default:
        return;
    }
  });
}

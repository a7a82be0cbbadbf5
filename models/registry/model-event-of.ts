import { encode } from '../../streams/codec.js';
import type { DurablePublisher } from '../../streams/bus.js';
import type { ModelEvent, ModelEventKind } from '../../streams/messages/model-event.js';
import { ModelEventSchema } from '../../streams/messages/model-event.js';
import type { Subjects } from '../../streams/subjects.js';

/** A registry history row: the source of one announced event. */
export type HistoryEntry = Readonly<{
  seq: number;
  name: string;
  alias: string | null;
  version: number;
  previousVersion: number | null;
  event: ModelEventKind;
  actor: string;
  reason: string;
  at: number;
}>;

/**
 * The event of a history row. Its id is derived from the row (`m:<name>:<version>:<event>:<seq>`),
 * so publishing it again after a crash carries the same `Nats-Msg-Id` and stores nothing twice.
 */
export function modelEventOf(h: HistoryEntry): ModelEvent {
  return ModelEventSchema.parse({
    type: 'model.event',
    v: 1,
    id: `m:${h.name}:${h.version}:${h.event}:${h.seq}`,
    ts: h.at,
    name: h.name,
    event: h.event,
    version: h.version,
    alias: h.alias,
    previousVersion: h.previousVersion,
    actor: h.actor,
    reason: h.reason,
  });
}

/** Publishes the event on `sx.model.<name>.<event>` with msgId = id. */
export async function announce(bus: DurablePublisher, subjects: Pick<Subjects, 'model'>, event: ModelEvent): Promise<void> {
  await bus.publish(subjects.model(event.name, event.event), encode(event), { msgId: event.id });
}

import type { ModelEvent } from '../../../streams/messages/model-event.js';

/** When the feed tests' model events begin: event `seq` is stamped `T0 + seq` seconds. */
export const T0 = Date.UTC(2024, 0, 2);

/** A registry event (`model.event` v1) of the feed's models topic, by ops, its id unique per `seq`. */
export const modelEvent = (seq: number, e: Pick<ModelEvent, 'name' | 'event' | 'version' | 'alias'>): ModelEvent => ({
  type: 'model.event',
  v: 1,
  id: `m:${e.name}:${e.version}:${e.event}:${seq}`,
  ts: T0 + seq * 1_000,
  previousVersion: null,
  actor: 'ops',
  reason: 'test',
  ...e,
});

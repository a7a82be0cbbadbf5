import type { Logger } from '../../state/logger.js';
import type { StreamAdmin } from '../../streams/bus.js';
import { READ_STORED_MAX } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Hub } from './hub.js';
import { modelEventsPattern } from './topics.js';

export type ModelsSeedOptions = Readonly<{
  bus: Pick<StreamAdmin, 'readStored'>;
  hub: Pick<Hub, 'seed'>;
  /** The stream that stores model events (`OUTCOMES` under the configured name prefix). */
  stream: string;
  subjects: Subjects;
  log: Logger;
  /** Most model events read (default `READ_STORED_MAX`, 10 000): more and the read is refused, as a failed one. */
  max?: number;
  /**
   * How long the caller waits for the read (default 3 s): past it the gateway starts anyway and a
   * late answer still seeds (the hub keeps a stored event only where none was relayed since).
   */
  waitMs?: number;
}>;

/** What became of the read: `seeded` (with how many slots the events filled), `failed`, or still `pending` when the wait ran out. */
export type ModelsSeedOutcome = Readonly<{ outcome: 'seeded'; kept: number } | { outcome: 'failed'; error: string } | { outcome: 'pending' }>;

/**
 * Seeds the feed's `models` snapshot with the stored model events, so a subscriber learns which
 * model each alias serves although the registry last spoke before the gateway started. Every
 * event is read, not the last of each subject: the alias a promotion moves is in its payload, so
 * the newest `sx.model.<name>.promoted` may be a move of `staging` after the one of `production`.
 * The hub's own slot rule (`modelSlot`) then picks what the snapshot keeps, as for relayed events.
 * Never rejects: a failed read (stream missing, NATS down, too many events) is logged, and the
 * topic carries what it relays from then on, as without the seed.
 *
 * @example await seedModelsSnapshot({ bus, hub, stream: streamName(cfg, 'OUTCOMES'), subjects, log })
 */
export async function seedModelsSnapshot(opts: ModelsSeedOptions): Promise<ModelsSeedOutcome> {
  const pattern = modelEventsPattern(opts.subjects);
  const read = opts.bus.readStored(opts.stream, pattern, { max: opts.max ?? READ_STORED_MAX }).then(
    (msgs): ModelsSeedOutcome => {
      const kept = opts.hub.seed(msgs);
      opts.log.info({ stream: opts.stream, events: msgs.length, kept }, 'feed models snapshot seeded from the stream');
      return { outcome: 'seeded', kept };
    },
    (e: unknown): ModelsSeedOutcome => {
      const error = e instanceof Error ? e.message : String(e);
      opts.log.warn({ stream: opts.stream, pattern, error }, 'cannot seed the feed models snapshot: it holds only model events relayed from now on');
      return { outcome: 'failed', error };
    },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<ModelsSeedOutcome>((r) => {
    timer = setTimeout(() => r({ outcome: 'pending' }), opts.waitMs ?? 3_000);
    timer.unref();
  });
  const first = await Promise.race([read, waited]);
  clearTimeout(timer);
  if (first.outcome === 'pending') opts.log.warn({ stream: opts.stream, waitMs: opts.waitMs ?? 3_000 }, 'the feed models snapshot is still being read: the gateway starts without waiting');
  return first;
}

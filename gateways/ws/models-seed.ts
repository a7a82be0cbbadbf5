import type { Logger } from '../../state/logger.js';
import type { StoredMessage, StreamAdmin } from '../../streams/bus.js';
import { READ_STORED_MAX } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Hub } from './hub.js';
import { modelEventsPattern, modelSlot, routeSubject } from './topics.js';

export type ModelsSeedOptions = Readonly<{
  bus: Pick<StreamAdmin, 'readFrom'>;
  hub: Pick<Hub, 'seed'>;
  /** The stream that stores model events (`OUTCOMES` under the configured name prefix). */
  stream: string;
  subjects: Subjects;
  log: Logger;
  /** Most model events read at once, a page (default `READ_STORED_MAX`, 10 000): every stored one is read, page after page. */
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
 * event is read, not the last of each subject nor only the newest: the alias a promotion moves is
 * in its payload, so the newest `sx.model.<name>.promoted` may be a move of `staging` after the one
 * of `production`, and that one may be older than any bound on the newest (OUTCOMES keeps
 * everything). They are read `max` at a time and folded by the hub's slot rule (`modelSlot`), so
 * memory holds a page and the newest event of each slot, never the whole history; the hub then
 * keeps them as relayed events. Never rejects: a failed read (stream missing, NATS down) is
 * logged, and the topic carries what it relays from then on, as without the seed.
 *
 * @example await seedModelsSnapshot({ bus, hub, stream: streamName(cfg, 'OUTCOMES'), subjects, log })
 */
export async function seedModelsSnapshot(opts: ModelsSeedOptions): Promise<ModelsSeedOutcome> {
  const pattern = modelEventsPattern(opts.subjects);
  const read = readFolded(opts, pattern).then(
    ({ newest, events }): ModelsSeedOutcome => {
      const kept = opts.hub.seed(newest);
      opts.log.info({ stream: opts.stream, events, kept }, 'feed models snapshot seeded from the stream');
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

/**
 * Every stored model event, a page at a time, folded to the newest of each snapshot slot (as the
 * hub picks them: `modelSlot`), in stream order; a payload the hub would not admit (not a JSON
 * object) takes no slot. `events`: how many were read.
 */
async function readFolded(opts: ModelsSeedOptions, pattern: string): Promise<{ newest: StoredMessage[]; events: number }> {
  const max = opts.max ?? READ_STORED_MAX;
  const newest = new Map<string, StoredMessage>();
  let events = 0;
  let fromSeq: number | undefined;
  for (;;) {
    const page = await opts.bus.readFrom(opts.stream, pattern, fromSeq === undefined ? { max } : { max, fromSeq });
    for (const m of page.messages) {
      const slot = slotOf(opts.subjects, m);
      if (slot === undefined) continue;
      newest.delete(slot);
      newest.set(slot, m);
    }
    events += page.messages.length;
    const last = page.messages.at(-1);
    if (page.remaining <= 0 || last === undefined) return { newest: [...newest.values()], events };
    fromSeq = last.streamSeq + 1;
  }
}

const dec = new TextDecoder();

function slotOf(subjects: Subjects, m: StoredMessage): string | undefined {
  const route = routeSubject(subjects, m.subject);
  if (route?.topic !== 'models') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(m.data));
  } catch {
    return undefined;
  }
  return typeof v === 'object' && v !== null ? modelSlot(route, v) : undefined;
}

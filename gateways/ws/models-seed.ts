import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { Logger } from '../../state/logger.js';
import type { StreamAdmin } from '../../streams/bus.js';
import { READ_STORED_MAX } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Hub } from './hub.js';
import { modelEventsPattern, modelSlot, routeSubject } from './topics.js';

export type ModelsSeedOptions = Readonly<{
  bus: Pick<StreamAdmin, 'readFrom'>;
  hub: Pick<Hub, 'seed'>;
  /** The stream that stores model events (`OUTCOMES` under the configured name prefix). */
  stream: string;
  /**
   * The registry, where the gateway runs beside one (`sextant run`, `sextant demo`): what each alias
   * holds now, read from it, fills the alias's slot when the stream holds no event of it or an
   * older one (the stream purged or rebuilt while the registry kept its aliases).
   */
  registry?: Pick<ModelRegistry, 'aliasEvents'> | undefined;
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
 * keeps them as relayed events.
 *
 * The stream is a copy of the registry's announcements and can lose them (`sextant demo` deletes
 * its streams at each run and keeps the registry; an operator may purge or rebuild OUTCOMES), and
 * then no event is published again for a model that is reused, not promoted anew. So where a
 * `registry` is given, the event that set each alias it holds now (`aliasEvents`: the promotion or
 * rollback from its history, as announced, id included) takes the alias's slot when the stream's
 * newest event there is another one or none. It is only handed to the hub, never published.
 * The registry is then the word on which aliases exist: an alias slot of the stream's that the
 * registry holds no alias for now is dropped (a `reject` cleared it: the page listed the old
 * promotion of an alias the registry no longer had). Without a registry, a `rejected` event in the
 * stream drops the alias slots of its model that name the rejected version, as the registry's
 * reject clears every non-production alias pointing to it.
 *
 * Never rejects: a failed read (stream missing, NATS down, PostgreSQL down) is logged, the other
 * source seeds alone, and the topic carries what it relays from then on.
 *
 * @example await seedModelsSnapshot({ bus, hub, stream: streamName(cfg, 'OUTCOMES'), registry, subjects, log })
 */
export async function seedModelsSnapshot(opts: ModelsSeedOptions): Promise<ModelsSeedOutcome> {
  const pattern = modelEventsPattern(opts.subjects);
  const fromStream = readFolded(opts, pattern).then(
    (r) => r,
    (e: unknown) => new Error(message(e)),
  );
  const fromRegistry = opts.registry?.aliasEvents().then(
    (r) => r,
    (e: unknown) => new Error(message(e)),
  );
  const read = Promise.all([fromStream, fromRegistry]).then(([stream, registry]): ModelsSeedOutcome => {
    if (stream instanceof Error && !(registry instanceof Array)) {
      opts.log.warn({ stream: opts.stream, pattern, error: stream.message, ...(registry instanceof Error ? { registryError: registry.message } : {}) }, 'cannot seed the feed models snapshot: it holds only model events relayed from now on');
      return { outcome: 'failed', error: stream.message };
    }
    if (stream instanceof Error) opts.log.warn({ stream: opts.stream, pattern, error: stream.message }, 'cannot read the model events stored in the stream: the feed models snapshot holds what each alias serves, read from the registry');
    if (registry instanceof Error) opts.log.warn({ error: registry.message }, 'cannot read the aliases from the model registry: the feed models snapshot holds what the stream stored');
    const newest = stream instanceof Error ? new Map<string, Seed>() : stream.newest;
    const gone = registry instanceof Array ? dropUnheld(newest, registry) : [];
    const fromReg = registry instanceof Array ? registry.filter((e) => takeSlot(opts.subjects, newest, e)).length : 0;
    const kept = opts.hub.seed([...newest.values()]);
    opts.log.info({ stream: opts.stream, events: stream instanceof Error ? null : stream.events, fromRegistry: fromReg, ...(gone.length > 0 ? { aliasesGone: gone } : {}), kept }, 'feed models snapshot seeded');
    return { outcome: 'seeded', kept };
  });
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

type Seed = Readonly<{ subject: string; data: Uint8Array }>;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Puts the registry's event for its alias in `newest` unless the stream's newest event of that
 * slot is this very one; says whether it did. Moved to the end: it is the newest word on the alias.
 */
function takeSlot(subjects: Subjects, newest: Map<string, Seed>, e: ModelEvent): boolean {
  const m = { subject: subjects.model(e.name, e.event), data: encode(e) };
  const slot = slotOf(subjects, m);
  if (slot === undefined) return false;
  const held = newest.get(slot);
  if (held !== undefined && idOf(held) === e.id) return false;
  newest.delete(slot);
  newest.set(slot, m);
  return true;
}

/** The model, alias and version an alias move (promoted, rolled_back) sets; undefined for another event. */
function aliasMove(m: Seed): Readonly<{ name: unknown; alias: string; version: unknown }> | undefined {
  const v = parsed(m);
  if (v === undefined || !('event' in v) || (v.event !== 'promoted' && v.event !== 'rolled_back') || !('alias' in v) || typeof v.alias !== 'string') return undefined;
  return { name: 'name' in v ? v.name : undefined, alias: v.alias, version: 'version' in v ? v.version : undefined };
}

/** Drops the stream's alias slots whose alias the registry holds none of now (`name@alias`); says which. */
function dropUnheld(newest: Map<string, Seed>, registry: readonly ModelEvent[]): string[] {
  const held = new Set(registry.filter((e) => e.alias !== null).map((e) => `${e.name}@${e.alias}`));
  const gone: string[] = [];
  for (const [slot, m] of newest) {
    const a = aliasMove(m);
    if (a === undefined || held.has(`${String(a.name)}@${a.alias}`)) continue;
    newest.delete(slot);
    gone.push(`${String(a.name)}@${a.alias}`);
  }
  return gone;
}

/** A `rejected` event cleared every alias of its model naming that version: their slots go. */
function dropRejected(newest: Map<string, Seed>, m: Seed): void {
  const v = parsed(m);
  if (v === undefined || !('event' in v) || v.event !== 'rejected' || !('name' in v) || !('version' in v)) return;
  for (const [slot, held] of newest) {
    const a = aliasMove(held);
    if (a !== undefined && a.name === v.name && a.version === v.version) newest.delete(slot);
  }
}

/**
 * Every stored model event, a page at a time, folded to the newest of each snapshot slot (as the
 * hub picks them: `modelSlot`), in stream order; a payload the hub would not admit (not a JSON
 * object) takes no slot, and a `rejected` event drops the alias slots naming its version. `events`: how many were read.
 */
async function readFolded(opts: ModelsSeedOptions, pattern: string): Promise<{ newest: Map<string, Seed>; events: number }> {
  const max = opts.max ?? READ_STORED_MAX;
  const newest = new Map<string, Seed>();
  let events = 0;
  let fromSeq: number | undefined;
  for (;;) {
    const page = await opts.bus.readFrom(opts.stream, pattern, fromSeq === undefined ? { max } : { max, fromSeq });
    for (const m of page.messages) {
      const slot = slotOf(opts.subjects, m);
      if (slot === undefined) continue;
      dropRejected(newest, m);
      newest.delete(slot);
      newest.set(slot, m);
    }
    events += page.messages.length;
    const last = page.messages.at(-1);
    if (page.remaining <= 0 || last === undefined) return { newest, events };
    fromSeq = last.streamSeq + 1;
  }
}

const dec = new TextDecoder();

function slotOf(subjects: Subjects, m: Seed): string | undefined {
  const route = routeSubject(subjects, m.subject);
  if (route?.topic !== 'models') return undefined;
  const v = parsed(m);
  return v !== undefined ? modelSlot(route, v) : undefined;
}

function parsed(m: Seed): object | undefined {
  try {
    const v: unknown = JSON.parse(dec.decode(m.data));
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

function idOf(m: Seed): unknown {
  const v = parsed(m);
  return v !== undefined && 'id' in v ? v.id : undefined;
}

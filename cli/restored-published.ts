import { z } from 'zod';
import type { StoredOutputs } from '../actors/published-outputs.js';
import type { Logger } from '../state/logger.js';
import type { StreamAdmin } from '../streams/bus.js';

const PublishedMarkSchema = z.tuple([z.string().min(1), z.number().int().nonnegative()]);

/** Messages read per page. */
const PAGE = 10_000;

const decoder = new TextDecoder();

/** An output's `id` and `ts`, or undefined when the message is not one (not JSON, no string id). */
function idAndTs(data: Uint8Array): { id: string; ts: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('id' in v) || typeof v.id !== 'string') return undefined;
  return { id: v.id, ts: 'ts' in v && typeof v.ts === 'number' ? v.ts : Number.NEGATIVE_INFINITY };
}

/**
 * Whether a subject is one of the decision path's own outputs: its strategy's predictions,
 * suggestions, orders and rejects, and fills and expiries only when its paper venue makes them
 * (without it they are a live desk's, on the desk's clock).
 */
export function ownOutputs(prefix: string, strategy: string, paperVenue: boolean): (subject: string) => boolean {
  const own = [`${prefix}.pred.${strategy}.`, `${prefix}.exec.suggest.${strategy}.`, `${prefix}.exec.order.${strategy}.`, `${prefix}.exec.reject.${strategy}.`, ...(paperVenue ? [`${prefix}.exec.fill.`, `${prefix}.exec.expired.`] : [])];
  return (subject) => own.some((x) => subject.startsWith(x));
}

/**
 * What the decision path published after the restored risk write and the stream stored: the
 * outputs stream (`stream`, SIGNALS) read from the mark stored with the book (`published`,
 * cli/risk-persist.ts) to its end, each message's id (its `Nats-Msg-Id`) kept. The events decided
 * after that write are decided again; those of their outputs are applied but not published again
 * (actors/published-outputs.ts). Without a mark (a first start, a book stored before marks were,
 * one of another stream, one past the stream's end, or not valid: logged) nothing is read back
 * and every output is published, as before; the stream's last sequence is still read, the first
 * mark of this run (`restored` false: startDecisions stores it at once).
 */
export async function restoredPublished(
  bus: Pick<StreamAdmin, 'readFrom' | 'readNewest'>,
  stream: string,
  storedBook: unknown,
  log: Logger,
  /**
   * Whether a message's subject is one this decision path publishes: `newest` (how far the restart
   * decides again what was published before it, `recoveredAt`) is taken over those only. SIGNALS
   * also holds what others publish — a live desk's own fills and expiries, stamped on its clock,
   * other strategies' outputs — and one of those, newer than anything this path decided, held its
   * recovery (and the operator's commands waiting for it) until the bars reached it. Default: all.
   */
  own: (subject: string) => boolean = () => true,
): Promise<StoredOutputs> {
  const streamEnd = async (): Promise<number> => (await bus.readNewest(stream, '', { max: 1 })).messages.at(-1)?.streamSeq ?? 0;
  const noMark = (last: number): StoredOutputs => ({ stream, restored: false, from: last, last, ids: new Set(), newest: Number.NEGATIVE_INFINITY });
  const none = async (): Promise<StoredOutputs> => noMark(await streamEnd());
  if (typeof storedBook !== 'object' || storedBook === null || !('published' in storedBook)) return none();
  const parsed = PublishedMarkSchema.safeParse(storedBook.published);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues.slice(0, 3) }, 'the outputs stream mark stored with the risk book is not valid: outputs decided again after the restart are published again (the stream drops them only within its duplicate window)');
    return none();
  }
  const [markStream, from] = parsed.data;
  if (markStream !== stream) {
    log.warn({ stored: markStream, stream }, `the risk book's outputs mark is of stream ${markStream}, not ${stream}: outputs decided again after the restart are published again (the stream drops them only within its duplicate window)`);
    return none();
  }
  // A mark past the stream's end is of a stream since deleted and created again (its sequences
  // started again at 1), or emptied (purged, or every message past its max age). Read from there,
  // nothing would be found, silently, and each write would store that mark again, past the outputs
  // this run stores until the stream reached it (a second restart would miss them): no mark, the
  // stream's end stored at once (startDecisions). A stream rebuilt and grown past the mark since is
  // not told apart (the mark holds no creation time): the outputs it stored at or below the mark
  // are published again, as before marks were.
  const end = await streamEnd();
  if (from > end) {
    log.warn({ stream, stored: from, last: end }, `the risk book's outputs mark (sequence ${from}) is past the end of stream ${stream} (sequence ${end}): the stream was deleted and created again, or emptied, since that write. Outputs decided again after the restart are published again (the stream drops them only within its duplicate window)`);
    return noMark(end);
  }
  const ids = new Set<string>();
  let newest = Number.NEGATIVE_INFINITY;
  let last = from;
  let next = from + 1;
  for (;;) {
    const page = await bus.readFrom(stream, '', { fromSeq: next, max: PAGE });
    for (const m of page.messages) {
      last = Math.max(last, m.streamSeq);
      const o = idAndTs(m.data);
      if (o === undefined) continue;
      ids.add(o.id);
      if (o.ts > newest && own(m.subject)) newest = o.ts;
    }
    const end = page.messages.at(-1);
    if (page.remaining <= 0 || end === undefined) break;
    next = end.streamSeq + 1;
  }
  log.info({ stream, from, last, outputs: ids.size }, 'outputs stored after the restored risk write read back: decided again, they are not published again');
  return { stream, restored: true, from, last, ids, newest };
}

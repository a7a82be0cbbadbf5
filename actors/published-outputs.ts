import type { Logger } from '../state/logger.js';
import type { PublishAck } from '../streams/bus.js';

/**
 * How far the decision path's outputs stream was stored when a risk write took the book:
 * `[stream, sequence]`. Every output published after that moment has a higher sequence (an
 * acknowledged message is stored before any later publish is sent), so a restart reads the stream
 * from the next sequence to learn which outputs of the events decided after that write are stored
 * already. Stored with the book, in the same row (`published`, cli/risk-persist.ts).
 */
export type PublishedMark = readonly [stream: string, seq: number];

/** What a restart read back from the outputs stream after the restored mark (cli/restored-published.ts). */
export type StoredOutputs = Readonly<{
  stream: string;
  /** Whether a mark was restored (false: a first start, a book stored before marks were; nothing read back). */
  restored: boolean;
  /** The restored mark's sequence: every output decided after the restored write is stored after it. */
  from: number;
  /** The stream's last sequence when read: everything this run publishes is stored after it. */
  last: number;
  /** The message ids (`Nats-Msg-Id`, the output's `id`) stored after `from`. */
  ids: ReadonlySet<string>;
  /** The newest `ts` among them. */
  newest: number;
}>;

export type PublishedOutputs = Readonly<{
  /**
   * Whether the output `id` (event time `ts`) is in the stream already: decided before a restart,
   * after the restored risk write, and stored. It is not published again — the stream's duplicate
   * window may not reach back to its first publish, and a live consumer would act on the copy — but
   * applied to the state as before. The ids read back are let go at the first output not among them
   * that is newer than all of them: the redecision has passed what was decided before the restart.
   */
  stored(id: string, ts: number): boolean;
  /** An output's publish was acknowledged. */
  acked(ack: PublishAck): void;
  /** The mark to store with the risk write being captured now. */
  mark(): PublishedMark;
  /**
   * The event time up to which the restart decides again what was decided and published before it
   * (the newest `ts` read back; -Infinity when nothing was): the decision path's recovery lasts
   * until it has decided that far.
   */
  recoveredAt(): number;
}>;

/**
 * The published outputs of one decision path on a stream that keeps them (JetStream SIGNALS),
 * starting from what a restart read back (`StoredOutputs`). While the ids read back may still be
 * decided again, a risk write stores the restored mark (the outputs not published again are stored
 * after it, not after this run's acknowledgements); once they are let go, the newest sequence
 * acknowledged (at least the stream's last at start).
 */
export function createPublishedOutputs(start: StoredOutputs, log: Logger): PublishedOutputs {
  const { stream, from } = start;
  let ids: ReadonlySet<string> | undefined = start.ids.size > 0 ? start.ids : undefined;
  let through = start.last;
  let skipped = 0;
  return {
    stored: (id, ts) => {
      if (ids === undefined) return false;
      if (ids.has(id)) {
        skipped++;
        return true;
      }
      if (ts <= start.newest) return false;
      log.info({ stream, from, read: ids.size, notPublishedAgain: skipped }, 'decided past the outputs stored before the restart: every output is published from here');
      ids = undefined;
      return false;
    },
    acked: (ack) => {
      if (ack.stream === stream && ack.seq > through) through = ack.seq;
    },
    mark: () => [stream, ids === undefined ? through : from],
    recoveredAt: () => (start.ids.size > 0 ? start.newest : -Infinity),
  };
}

import type { Topic } from './protocol.js';
import type { Route } from './topics.js';

/**
 * One message of the feed, framed once for every client: the hub assigns `seq` (+1 per message of
 * the topic) and builds the `delta` frame a single time; fast clients are all sent the same
 * buffer. The payload is spliced in as the JSON text it arrived as (checked to be JSON), never
 * re-serialised per client.
 */
export type FeedEntry = Readonly<{
  topic: Topic;
  key: string;
  slot: string;
  /** The venue token of the subject (symbol topics): sent as the frame's `venue`, matched by `venue:symbol` filters. */
  venue: string | undefined;
  symbolToken: string | undefined;
  seq: number;
  dataText: string;
  delta: Buffer;
}>;

const head = (type: 'delta' | 'snapshot', e: Pick<FeedEntry, 'topic' | 'key' | 'venue' | 'seq'>, extra = ''): string =>
  `{"type":"${type}"${extra},"topic":${JSON.stringify(e.topic)},"key":${JSON.stringify(e.key)}${e.venue === undefined ? '' : `,"venue":${JSON.stringify(e.venue)}`},"seq":${e.seq},"data":`;

export function createFeedEntry(route: Route, seq: number, dataText: string): FeedEntry {
  // Framed on first use: while nobody follows a topic (catch-up with no dashboard open) the hub
  // only keeps the newest text per slot for snapshots.
  let delta: Buffer | undefined;
  return {
    topic: route.topic,
    key: route.key,
    slot: route.slot,
    venue: route.venue,
    symbolToken: route.symbolToken,
    seq,
    dataText,
    get delta(): Buffer {
      delta ??= Buffer.from(`${head('delta', { topic: route.topic, key: route.key, venue: route.venue, seq })}${dataText}}`, 'utf8');
      return delta;
    },
  };
}

/** The `snapshot` frame of an entry (sent on subscribe). */
export const snapshotFrame = (e: FeedEntry): string => `${head('snapshot', e)}${e.dataText}}`;

/** The `delta` frame of an entry that replaced older ones in a slow client's backlog. */
export const conflatedFrame = (e: FeedEntry): string => `${head('delta', e, ',"conflated":true')}${e.dataText}}`;

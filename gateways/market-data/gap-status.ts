import type { Logger } from '../../state/logger.js';
import type { Feed, FeedSink } from './market-data-source.js';
import { feedName } from './market-data-source.js';

/**
 * Says that `missing` of a bar feed's intervals in [from, to) got no bar in the stream (`refused`
 * of them: a bar the sink refused to the DLQ; the rest: the source answered none), as a warning
 * and a `gap` status, in the same words for every provider (`source`: who answered, e.g. "the
 * venue's REST API"). Features computed across the hole can then be told apart.
 */
export function reportGap(
  log: Pick<Logger, 'warn'>,
  sink: Pick<FeedSink, 'status'>,
  feed: Feed & { kind: 'bar' },
  g: Readonly<{ source: string; from: number; to: number; missing: number; refused: number }>,
): void {
  const why = [...(g.missing > g.refused ? [`no bar for ${g.missing - g.refused}`] : []), ...(g.refused > 0 ? [`a bar refused to the DLQ for ${g.refused}`] : [])].join(' and ');
  const detail = `${g.source} answered ${why} of the ${feed.tf} intervals from ${new Date(g.from).toISOString()} to ${new Date(g.to).toISOString()}: the stream has a hole there`;
  log.warn({ feed: feedName(feed), from: g.from, to: g.to, missing: g.missing }, detail);
  sink.status({ type: 'gap', feed: feedName(feed), from: g.from, to: g.to, missing: g.missing, detail });
}

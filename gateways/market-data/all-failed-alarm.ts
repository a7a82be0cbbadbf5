import type { Logger } from '../../state/logger.js';
import type { FeedStatusBoard } from './feed-status.js';

/**
 * Says when every feed of `sextant gateway` has failed at once, and when one delivers again. The
 * gateway no longer exits then (the feed supervisor restarts each with `marketData.restart`'s
 * backoff, so a venue that comes back is asked again), but a process that stays up delivering
 * nothing must not read like one with a feed or two retrying: an error line names every feed with
 * its failure (code, reason, when it is restarted), once per such spell; /healthz says `down`
 * meanwhile (`feedHealth`). Call after each status the board took.
 */
export function allFailedAlarm(board: Pick<FeedStatusBoard, 'allFailed' | 'failed'>, log: Logger): () => void {
  let raised = false;
  return () => {
    const all = board.allFailed();
    if (all === raised) return;
    raised = all;
    const feeds = board.failed().map((e) => ({ feed: e.feed, state: e.state, ...(e.code !== undefined ? { code: e.code } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.retryAt !== undefined ? { retryAt: new Date(e.retryAt).toISOString() } : {}) }));
    if (all) log.error({ failed: feeds.length, feeds }, 'every market-data feed has failed: the gateway delivers nothing; each is restarted with marketData.restart backoff');
    else log.info({ stillFailed: feeds.length }, 'a market-data feed delivers again after every feed had failed');
  };
}

import type { ConnectionState } from './feed-client.js';
import type { Topic } from './feed-protocol.js';

/** What SnapshotReplace needs of a panel it replaces. */
export type ReplacedPanel = Readonly<{
  /** Forgets the panel's values, without redrawing (the update that follows redraws). */
  reset(): void;
  /** Forgets the panel's values and redraws it empty (its new snapshot is empty: no update follows). */
  clear(): void;
}>;

/**
 * For the panels that show the server's latest value per key (actors, positions and PnL, model
 * aliases, features): on each new connection, the first update of such a topic — the first frame
 * of the snapshot the server sends on subscribe — replaces what the panel held for it, so an
 * actor or account that a restarted engine no longer has stops being shown. A topic whose
 * `subscribed` says its snapshot is empty (`snapshot: 0`) is cleared at once, redrawn empty; from
 * a server that does not send the count, such a topic keeps its old rows until its first update.
 * Nothing is cleared on disconnect (the page keeps the last values while it reconnects), and the
 * recent lists (orders, predictions) are not named here: they keep their rows, deduplicated by id.
 * No DOM: unit-tested under Node.
 */
export class SnapshotReplace {
  private readonly pending = new Set<Topic>();
  private open = false;

  constructor(private readonly panels: Readonly<Partial<Record<Topic, ReplacedPanel>>>) {}

  /** Each connection status: a connection that has just opened arms every topic. */
  status(state: ConnectionState): void {
    const open = state === 'open';
    if (open && !this.open) for (const t of Object.keys(this.panels) as Topic[]) this.pending.add(t);
    this.open = open;
  }

  /**
   * The server's `subscribed` of `topic`, with how many snapshot frames follow (undefined: not
   * said). An armed topic whose new snapshot is empty is cleared now: no update will replace it.
   */
  subscribed(topic: Topic, snapshot: number | undefined): void {
    if (snapshot === 0 && this.pending.delete(topic)) this.panels[topic]?.clear();
  }

  /** Before an update of `topic` is drawn: the first one since the connection opened resets its panel. */
  update(topic: Topic): void {
    if (this.pending.delete(topic)) this.panels[topic]?.reset();
  }
}

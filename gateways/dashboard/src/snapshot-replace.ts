import type { ConnectionState } from './feed-client.js';
import type { Topic } from './feed-protocol.js';

/**
 * For the panels that show the server's latest value per key (actors, positions and PnL, model
 * aliases, features): on each new connection, the first update of such a topic — the first frame
 * of the snapshot the server sends on subscribe — replaces what the panel held for it, so an
 * actor or account that a restarted engine no longer has stops being shown. Nothing is cleared
 * on disconnect (the page keeps the last values while it reconnects), and the recent lists
 * (orders, predictions) are not named here: they keep their rows, deduplicated by id. A topic
 * whose new snapshot is empty keeps its old rows until its first update on the new connection.
 * No DOM: unit-tested under Node.
 */
export class SnapshotReplace {
  private readonly pending = new Set<Topic>();
  private open = false;

  /** `reset`: forgets the panel's values for the topic, without redrawing (the update that follows redraws). */
  constructor(private readonly reset: Readonly<Partial<Record<Topic, () => void>>>) {}

  /** Each connection status: a connection that has just opened arms every topic. */
  status(state: ConnectionState): void {
    const open = state === 'open';
    if (open && !this.open) for (const t of Object.keys(this.reset) as Topic[]) this.pending.add(t);
    this.open = open;
  }

  /** Before an update of `topic` is drawn: the first one since the connection opened resets its panel. */
  update(topic: Topic): void {
    if (this.pending.delete(topic)) this.reset[topic]?.();
  }
}

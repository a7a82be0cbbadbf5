/**
 * The ids the feed relayed lately, per kind (`order`, `reject`, `fill`, `prediction`), so that a
 * message a restarted engine publishes again under the same deterministic id is not relayed twice
 * (JetStream dedupes it in the stream; the feed reads plain NATS and would not). Each kind keeps
 * at most `capacity` ids, the oldest forgotten first: memory stays bounded however long it runs.
 */
export type RecentIds = Readonly<{
  /** True when `id` was already seen for `kind` within the window; otherwise records it. */
  seen(kind: string, id: string): boolean;
  /** True when `id` was already seen for `kind` within the window; records nothing. */
  has(kind: string, id: string): boolean;
  /** Ids held for a kind (for tests and stats). */
  size(kind: string): number;
}>;

type Window = { ids: Set<string>; ring: string[]; next: number };

export function createRecentIds(capacity: number): RecentIds {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`recent-id capacity must be a positive integer, got ${capacity}`);
  const kinds = new Map<string, Window>();
  return {
    seen: (kind, id) => {
      let w = kinds.get(kind);
      if (w === undefined) {
        w = { ids: new Set(), ring: [], next: 0 };
        kinds.set(kind, w);
      }
      if (w.ids.has(id)) return true;
      if (w.ring.length < capacity) w.ring.push(id);
      else {
        w.ids.delete(w.ring[w.next] as string);
        w.ring[w.next] = id;
        w.next = (w.next + 1) % capacity;
      }
      w.ids.add(id);
      return false;
    },
    has: (kind, id) => kinds.get(kind)?.ids.has(id) === true,
    size: (kind) => kinds.get(kind)?.ids.size ?? 0,
  };
}

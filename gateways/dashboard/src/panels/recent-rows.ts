/**
 * Which rows a newest-first list capped at `cap` shows, by event time (no DOM: unit-tested under
 * Node). A row goes where its time puts it, not at the top: a reconnect's snapshot repeats the
 * latest order, reject and fill of each symbol however old, and a reject that had long scrolled
 * out came back at the top of the list as if it were new. A row older than every row of a full
 * list, or one shown lately (an id among the last `remember` seen), is not shown again.
 */
export class RecentRows {
  /** Newest first. */
  private readonly rows: { id: string; ts: number }[] = [];
  /** Ids that left the list, oldest first, bounded by `remember`. */
  private readonly gone: string[] = [];
  private readonly goneSet = new Set<string>();

  constructor(
    private readonly cap: number,
    private readonly remember = 1_000,
  ) {}

  /**
   * Where the row goes (0 = top) and whether the bottom row then leaves the list; undefined when
   * it is not shown (already shown, shown lately, or too old for a full list).
   */
  insert(id: string, ts: number): Readonly<{ index: number; evicted: boolean }> | undefined {
    if (this.goneSet.has(id) || this.rows.some((r) => r.id === id)) return undefined;
    const oldest = this.rows.at(-1);
    if (this.rows.length >= this.cap && oldest !== undefined && ts < oldest.ts) return undefined;
    // Before the first row that is not newer: among rows of one time, the last to arrive is on top.
    let index = this.rows.findIndex((r) => r.ts <= ts);
    if (index < 0) index = this.rows.length;
    this.rows.splice(index, 0, { id, ts });
    if (this.rows.length <= this.cap) return { index, evicted: false };
    const out = this.rows.pop();
    if (out !== undefined) this.forget(out.id);
    return { index, evicted: true };
  }

  get size(): number {
    return this.rows.length;
  }

  private forget(id: string): void {
    this.gone.push(id);
    this.goneSet.add(id);
    if (this.gone.length > this.remember) this.goneSet.delete(this.gone.shift() as string);
  }
}

import type { ModelEventKind } from '../../streams/messages/model-event.js';

/** One row of an alias's history, oldest first. */
export type AliasHistoryRow = Readonly<{ event: ModelEventKind; version: number; previousVersion: number | null }>;

/**
 * Where a rollback of one alias goes: the history is a stack of promotions. A promotion pushes
 * the version the alias held before it (null when it was unset) and a rollback pops one. The top
 * is the version held before the current one: rolling back twice after three promotions walks
 * back two steps instead of toggling between the last two. `undefined` when there is nothing to
 * return to (first promotion since the alias was set or cleared).
 */
export function rollbackTarget(rows: readonly AliasHistoryRow[]): number | undefined {
  const stack: Array<number | null> = [];
  for (const r of rows) {
    if (r.event === 'promoted') stack.push(r.previousVersion);
    else if (r.event === 'rolled_back') stack.pop();
  }
  return stack.at(-1) ?? undefined;
}

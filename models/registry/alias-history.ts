import type { ModelEventKind } from '../../streams/messages/model-event.js';

/** One row of an alias's history, oldest first. */
export type AliasHistoryRow = Readonly<{ event: ModelEventKind; version: number; previousVersion: number | null }>;

/**
 * Where a rollback of one alias goes: the history is a stack of promotions. A promotion pushes
 * the version the alias held before it (null when it was unset) and a rollback pops down to the
 * version it went back to (one entry for a rollback of one step, the usual case). The top is the
 * version held before the current one: rolling back twice after three promotions walks back two
 * steps instead of toggling between the last two. With `to`, that version, when the stack holds
 * it (a rollback of several steps at once). `undefined` when there is nothing to return to (first
 * promotion since the alias was set or cleared, or `to` not held before).
 */
export function rollbackTarget(rows: readonly AliasHistoryRow[], to?: number): number | undefined {
  const stack: Array<number | null> = [];
  for (const r of rows) {
    if (r.event === 'promoted') stack.push(r.previousVersion);
    else if (r.event === 'rolled_back') while (stack.length > 0 && stack.pop() !== r.version);
  }
  if (to === undefined) return stack.at(-1) ?? undefined;
  return stack.includes(to) ? to : undefined;
}

/** Why a rollback has nowhere to go. */
export const noTarget = (name: string, alias: string, to: number | undefined): string =>
  to === undefined ? `${name}@${alias} has no earlier version to roll back to` : `${name}@${alias} did not hold version ${to} before the current one`;


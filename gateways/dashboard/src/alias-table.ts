import type { ModelEvent } from '../../../streams/messages/model-event.js';

/**
 * Folds a registry event into what each alias points to (`name@alias` → the event that set it; no
 * DOM: unit-tested under Node). A promotion or rollback sets its alias unless the page holds a
 * newer word on it; a rejection clears every alias of its model that names the rejected version
 * and was set before it, as the registry's reject does: the page listed a cleared alias until
 * it reloaded, and after a reload as long as the snapshot still held its promotion. A removal
 * (`alias_removed`) drops its alias unless the page holds a newer move of it.
 */
export function applyAliasEvent(aliases: Map<string, ModelEvent>, e: ModelEvent): void {
  if (e.event === 'rejected') {
    for (const [k, x] of aliases) if (x.name === e.name && x.version === e.version && x.ts <= e.ts) aliases.delete(k);
    return;
  }
  if (e.alias === null) return;
  const k = `${e.name}@${e.alias}`;
  const prev = aliases.get(k);
  if (prev !== undefined && prev.ts > e.ts) return;
  // A removal (a retraining cycle's `candidate` once the cycle ended) leaves the alias pointing nowhere.
  if (e.event === 'alias_removed') aliases.delete(k);
  else aliases.set(k, e);
}

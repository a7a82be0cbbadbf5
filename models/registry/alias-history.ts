import type { ModelEventKind } from '../../streams/messages/model-event.js';
import { AliasSchema } from './new-model-version.js';
import { RegistryError } from './model-registry.js';
import { parseVersionNumber } from './registry-action.js';
import { AliasMovedError, NoRollbackTargetError } from './registry-errors.js';

/** One row of an alias's history, oldest first. */
export type AliasHistoryRow = Readonly<{ event: ModelEventKind; version: number; previousVersion: number | null }>;

/**
 * Where a rollback of one alias goes: the history is a stack of promotions. A promotion pushes
 * the version the alias held before it (null when it was unset) and a rollback pops down to the
 * version it went back to (one entry for a rollback of one step, the usual case). The top is the
 * version held before the current one: rolling back twice after three promotions walks back two
 * steps instead of toggling between the last two. With `to`, that version, when the stack holds
 * it (a rollback of several steps at once). Throws `NoRollbackTargetError` when there is nothing
 * to return to (first promotion since the alias was set or cleared, or `to` not held before), and
 * `RegistryError` when the target is the version the alias holds now.
 */
export function rollbackTarget(rows: readonly AliasHistoryRow[], at: Readonly<{ name: string; alias: string; current: number; to?: number }>): number {
  const to = at.to === undefined ? undefined : parseVersionNumber(at.to);
  const stack: Array<number | null> = [];
  for (const r of rows) {
    if (r.event === 'promoted') stack.push(r.previousVersion);
    else if (r.event === 'rolled_back') while (stack.length > 0 && stack.pop() !== r.version);
  }
  const target = to === undefined ? (stack.at(-1) ?? undefined) : stack.includes(to) ? to : undefined;
  if (target === undefined) {
    throw new NoRollbackTargetError(
      to === undefined ? `${at.name}@${at.alias} has no earlier version to roll back to`
      : to === at.current ? `${at.name}@${at.alias} already points at version ${to}: it is the current one, not one held before it`
      : `${at.name}@${at.alias} did not hold version ${to} before the current one`,
    );
  }
  if (target === at.current) throw new RegistryError(`${at.name}@${at.alias} already points at version ${target}`);
  return target;
}

/**
 * Refuses a change conditioned on the alias's current version (`ifCurrent`) when the alias has
 * moved: the check runs inside the change's transaction, so no other writer slips in between.
 */
export function requireCurrent(at: Readonly<{ name: string; alias: string; current: number | undefined; ifCurrent?: number | undefined }>): void {
  if (at.ifCurrent === undefined || at.current === at.ifCurrent) return;
  throw new AliasMovedError(at.current, `${at.name}@${at.alias} points at ${at.current === undefined ? 'nothing' : `version ${at.current}`}, not version ${at.ifCurrent}: it was moved meanwhile, nothing changed`);
}

/**
 * Refuses the removal of `production` (`removeAlias`): engines serve it, and what replaces it is
 * a promotion or a rollback, each with its version, never nothing.
 */
export function requireRemovable(name: string, alias: string): void {
  if (alias === 'production') throw new RegistryError(`${name}@production cannot be removed: promote another version or roll back`);
}

/**
 * A promotion's `removeAliases`, checked before anything is written: each a valid alias, neither
 * `production` ({@link requireRemovable}) nor the alias the promotion moves (it would be removed
 * by the change that sets it). Duplicates are dropped, the order kept (the order of the events).
 */
export function removableAliases(name: string, promoted: string, aliases: readonly string[] | undefined): readonly string[] {
  const out: string[] = [];
  for (const alias of aliases ?? []) {
    if (!AliasSchema.safeParse(alias).success) throw new RegistryError(`bad alias ${JSON.stringify(alias)} to remove from ${name}`);
    requireRemovable(name, alias);
    if (alias === promoted) throw new RegistryError(`${name}@${alias} is the alias this promotion moves: it cannot also be removed`);
    if (!out.includes(alias)) out.push(alias);
  }
  return out;
}

/** The reason of an alias removed by a promotion (`removeAliases`): the promotion's, saying so. */
export const removedByPromotion = (alias: string, reason: string): string => `promoted to ${alias}: ${reason}`;

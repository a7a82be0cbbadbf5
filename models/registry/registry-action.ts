import { z } from 'zod';
import { AliasSchema } from './new-model-version.js';
import { RegistryError } from './model-registry.js';

/** Who asked for a registry change and why: recorded in the history and in the announced event. */
export type RegistryAction = Readonly<{ alias: string; actor: string; reason: string }>;

const ActionSchema = z.object({
  alias: AliasSchema.default('production'),
  actor: z.string().min(1).max(128),
  reason: z.string().max(2000),
});

/**
 * Validates action options before anything is written, so a change is never committed with an
 * event that would then fail the `ModelEvent` schema.
 */
export function parseAction(opts: Readonly<{ alias?: string; actor: string; reason: string }>): RegistryAction {
  const r = ActionSchema.safeParse(opts);
  if (!r.success) throw new RegistryError(`invalid registry action: ${z.prettifyError(r.error)}`);
  return r.data;
}

export function parseVersionNumber(version: number): number {
  if (!Number.isSafeInteger(version) || version <= 0) throw new RegistryError(`a version is a positive integer, got ${version}`);
  return version;
}

import { z } from 'zod';
import { AliasSchema } from './new-model-version.js';
import { MAX_MODEL_VERSION, RegistryError, VERSION_RULE } from './model-registry.js';

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

/**
 * A version number the registry can hold: 1 to 2³¹ − 1 (PostgreSQL `integer`). Past that the
 * PostgreSQL adapter failed with a database error ("out of range for type integer", INTERNAL to
 * `ctl`) where the memory one answered not found.
 */
export function parseVersionNumber(version: number): number {
  if (!Number.isSafeInteger(version) || version <= 0 || version > MAX_MODEL_VERSION) throw new RegistryError(`${VERSION_RULE}, got ${version}`);
  return version;
}
